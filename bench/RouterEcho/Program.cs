using NetMQ;
using NetMQ.Sockets;

// Usage: RouterEcho loop|poller
// A bare NetMQ ROUTER on 127.0.0.1 (ephemeral port) that sends every request back unchanged: what a NetMQ server does
// before any code of its own runs. Prints "Listening on <endpoint>" and serves until it is killed (bench/roundtrip.py
// runs it in its own process group and stops it with SIGTERM).
//   loop:   one thread, blocking receive then send, the shortest NetMQ server there is;
//   poller: the socket on a NetMQPoller (as the ZeroBridge server runs it), echoing in ReceiveReady and draining
//           what is already queued before it returns to the poller.
// The runtime settings zbridge runs with (src/ZeroBridge.Cli/RuntimeTuning.cs), so the comparison is of code.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

string mode = args.Length == 1 ? args[0] : "";
if (mode is not ("loop" or "poller"))
{
    Console.Error.WriteLine("usage: RouterEcho loop|poller");
    return 2;
}

using var router = new RouterSocket();
int port = router.BindRandomPort("tcp://127.0.0.1");
Console.WriteLine($"Listening on tcp://127.0.0.1:{port}");

if (mode == "loop")
{
    while (true)
        router.SendMultipartMessage(router.ReceiveMultipartMessage());
}

using var poller = new NetMQPoller { router };
router.ReceiveReady += (_, e) =>
{
    NetMQMessage? request = null;
    while (e.Socket.TryReceiveMultipartMessage(ref request))
    {
        e.Socket.SendMultipartMessage(request);
        request = null;
    }
};
poller.Run();
return 0;
