using System.CommandLine;
using ZeroBridge.Cli;

var root = new RootCommand("zbridge: reach a running .NET application from Python and Jupyter over ZeroMQ.")
{
    DemoCommand.Create(),
    CallCommand.Create(),
    BrokerCommand.Create(), WorkerCommand.Create(),
    SubCommand.Create(),
    TaskWorkerCommand.Create(),
    SubmitCommand.Create(),
    KeygenCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
