using System.Diagnostics;
using NetMQ;

namespace ZeroBridge.Transport;

/// <summary>Binding an endpoint that a socket of this process may have held a moment ago.</summary>
internal static class Binding
{
    /// <summary>How long a bind waits for a port that a just-closed socket of this process still holds.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Binds <paramref name="endpoint"/>, retrying while the address is in use, for at most <see cref="Patience"/>.
    /// </summary>
    /// <remarks>
    /// NetMQ closes a socket's listeners on its I/O thread after <c>Dispose</c> returns, so a server, broker or
    /// publisher stopped and started again on the same port in one process can find the port still taken for a few
    /// milliseconds. A port held by another process stays taken: the bind then fails as before, after the wait.
    /// </remarks>
    /// <exception cref="AddressAlreadyInUseException">The address is still in use after the wait.</exception>
    public static void BindWhenFree(this NetMQSocket socket, string endpoint)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                socket.Bind(endpoint);
                return;
            }
            catch (AddressAlreadyInUseException) when (waited.Elapsed < Patience)
            {
                Thread.Sleep(20);
            }
            catch (AddressAlreadyInUseException ex)
            {
                // NetMQ's own message names no address; whoever reads this (a log, the CLI's error line) needs it.
                throw new AddressAlreadyInUseException($"Cannot bind {endpoint}: the address is already in use.") { Source = ex.Source };
            }
        }
    }

    /// <summary>
    /// Binds the socket a component's <c>Start</c> made (<see cref="BindWhenFree"/>). When the bind fails the socket is
    /// disposed and <paramref name="state"/> set back to 0 (not started: Start may be called again) before the
    /// exception goes on.
    /// </summary>
    /// <returns>The endpoint bound, with the port the system chose for a wildcard.</returns>
    public static string BindForStart(this NetMQSocket socket, string endpoint, ref int state)
    {
        try
        {
            socket.BindWhenFree(endpoint);
        }
        catch
        {
            socket.Dispose();
            Volatile.Write(ref state, ComponentState.New);
            throw;
        }
        return socket.Options.LastEndpoint ?? endpoint;
    }
}
