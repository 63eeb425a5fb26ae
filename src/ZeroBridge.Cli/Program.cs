using System.CommandLine;
using ZeroBridge.Cli;

RuntimeTuning.Apply();

var root = new RootCommand("""
    zbridge: reach a running .NET application from Python and Jupyter over ZeroMQ.

    Exit status: 0 done; 1 the remote side answered with an error (or a task failed); 2 a mistake in the command line;
    3 the network (no reply in time, unknown host, address in use); 130 interrupted (Ctrl+C, SIGTERM).
    """)
{
    DemoCommand.Create(),
    CallCommand.Create(), StatusCommand.Create(),
    BrokerCommand.Create(), WorkerCommand.Create(),
    SubscribeCommand.Create(),
    TaskWorkerCommand.Create(),
    SubmitCommand.Create(),
    KernelCommand.Create(),
    KeygenCommand.Create(),
};

var parsed = root.Parse(Endpoints.WithDefaultEndpoint(root, args));
if (parsed.Errors.Count > 0)
{
    // System.CommandLine prints the errors and the verb's help; its own exit code for them is 1.
    await parsed.InvokeAsync();
    return ExitCodes.Usage;
}
try
{
    // Exceptions reach the handler below instead of System.CommandLine's, which prints a stack trace.
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception ex)
{
    return CliFailure.Report(ex);
}
