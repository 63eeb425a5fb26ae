using ZeroBridge.Majordomo;

namespace ZeroBridge.Tests.Fixtures;

/// <summary>Waiting for a broker's <see cref="ZeroBridgeBroker.Status"/> to show something, woken by each refresh.</summary>
internal static class BrokerStatusWait
{
    /// <summary>
    /// Waits until <paramref name="condition"/> holds for the broker's status, checking it after every refresh;
    /// returns whether it held before <paramref name="timeout"/>.
    /// </summary>
    public static async Task<bool> WaitForStatusAsync(this ZeroBridgeBroker broker, Func<BrokerStatus, bool> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var refreshed = broker.StatusRefreshed; // taken before the check, so a refresh meanwhile wakes us
            if (condition(broker.Status))
                return true;
            try
            {
                await refreshed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                return condition(broker.Status);
            }
        }
    }
}
