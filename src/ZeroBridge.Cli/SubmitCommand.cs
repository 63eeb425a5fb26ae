using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ZeroBridge.Tasks;

namespace ZeroBridge.Cli;

/// <summary>
/// <c>zbridge submit ENDPOINT KIND [ARG ...] --count N</c>: bind a task producer, wait for workers, run N tasks and
/// print their results as JSON lines, with a progress bar on a terminal.
/// </summary>
internal static class SubmitCommand
{
    public static Command Create()
    {
        var endpoint = new Argument<string>("endpoint") { Description = "Where to bind for workers, e.g. tcp://127.0.0.1:5560 (port * picks a free one)." };
        var kind = new Argument<string>("kind") { Description = "The task kind, e.g. square." };
        var arguments = new Argument<string[]>("arguments")
        {
            Description = "The task's arguments: name=value for a keyword, a bare value for a positional one; values are read as JSON " +
                          "when they parse, else as text; {i} is replaced by the task's index (0 to N-1).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var count = new Option<int>("--count", "-n") { Description = "How many tasks to run.", DefaultValueFactory = _ => 1 };
        var workers = new Option<int>("--workers") { Description = "Workers to wait for before submitting.", DefaultValueFactory = _ => 1 };
        var wait = new Option<double>("--wait") { Description = "Seconds to wait for the workers.", DefaultValueFactory = _ => 60 };
        var timeout = new Option<double>("--timeout") { Description = "Seconds the whole job may take (0: no limit).", DefaultValueFactory = _ => 0 };
        var workerTimeout = new Option<double>("--worker-timeout") { Description = "Seconds a silent worker is given before its tasks are re-sent.", DefaultValueFactory = _ => 5 };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the summary, not every result." };
        var progress = new Option<bool?>("--progress") { Description = "Show the progress bar (default: when stderr is a terminal)." };
        var certificate = SecurityOptions.Certificate("the producer's");
        var insecure = SecurityOptions.Insecure();
        var allowList = SecurityOptions.AllowList();
        var command = new Command("submit", "Run tasks on a pool of ZeroBridge task workers (zbridge task-worker, Python TaskWorker) and print the results.")
        {
            endpoint, kind, arguments, count, workers, wait, timeout, workerTimeout, quiet, progress, certificate, insecure, allowList,
        };
        command.SetAction(async (parse, parserToken) =>
        {
            using var signals = StopSignals.Listen(parserToken);
            var cancellationToken = signals.Token;
            int total = parse.GetValue(count);
            if (total < 0)
            {
                Console.Error.WriteLine("error: --count must be 0 or more.");
                return 2;
            }
            string[] templates = parse.GetValue(arguments) ?? [];
            var keyPair = SecurityOptions.LoadKeyPair(parse.GetValue(certificate));
            await using var producer = new ZeroBridgeTaskProducer(ZeroBridgeTaskProducerOptions.Default with
            {
                Endpoint = parse.GetValue(endpoint)!,
                WorkerTimeout = TimeSpan.FromSeconds(parse.GetValue(workerTimeout)),
                Certificate = keyPair,
                Insecure = parse.GetValue(insecure),
                AllowList = SecurityOptions.LoadAllowList(parse.GetValue(allowList), keyPair),
            });
            try
            {
                await producer.StartAsync();
            }
            catch (NetMQ.NetMQException ex)
            {
                Console.Error.WriteLine($"error: cannot bind {parse.GetValue(endpoint)}: {ex.Message}");
                return 1;
            }
            catch (ZeroBridgeException ex)
            {
                // A refusal to start (plain text beyond loopback): the command line asked for something unsafe.
                Console.Error.WriteLine($"error: {ex.Message}");
                return ExitCodes.Usage;
            }
            int wanted = parse.GetValue(workers);
            Console.Error.WriteLine($"Waiting for {wanted} worker(s) on {producer.Endpoint}");
            try
            {
                var names = await producer.WaitForWorkersAsync(wanted, TimeSpan.FromSeconds(parse.GetValue(wait)), cancellationToken);
                Console.Error.WriteLine($"Workers: {string.Join(", ", names)}");
            }
            catch (ZeroBridgeTimeoutException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 1;
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine($"interrupted while waiting for workers: 0 of {total} task(s) done");
                return ExitCodes.Interrupted;
            }

            bool showProgress = parse.GetValue(progress) ?? !Console.IsErrorRedirected;
            var bar = showProgress ? new ProgressLine(total, parse.GetValue(kind)!) : null;
            double seconds = parse.GetValue(timeout);
            var options = TaskRunOptions.Default with
            {
                Timeout = seconds > 0 ? TimeSpan.FromSeconds(seconds) : null,
                Progress = bar,
            };
            bool printEach = !parse.GetValue(quiet);
            int failed = 0, received = 0;
            var clock = Stopwatch.StartNew();
            try
            {
                var tasks = Enumerable.Range(0, total).Select(i => Arguments(templates, i));
                await foreach (var result in producer.RunAsync(parse.GetValue(kind)!, tasks, options, cancellationToken))
                {
                    received++;
                    if (!result.Ok)
                        failed++;
                    if (printEach)
                    {
                        bar?.Clear();
                        Console.Out.WriteLine(Line(result));
                        bar?.Draw(force: true);
                    }
                }
            }
            catch (ZeroBridgeException ex)
            {
                bar?.Finish();
                Console.Error.WriteLine($"error: {ex.Message}");
                return 1;
            }
            catch (OperationCanceledException)
            {
                bar?.Finish();
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"interrupted after {clock.Elapsed.TotalSeconds:0.00} s: {received} of {total} task(s) done " +
                    $"({received - failed} ok, {failed} failed), {total - received} not done"));
                return ExitCodes.Interrupted;
            }
            catch (ArgumentException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 2;
            }
            bar?.Finish();
            double elapsed = clock.Elapsed.TotalSeconds;
            var stats = producer.Statistics;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{total} task(s): {total - failed} ok, {failed} failed, {stats.Resent} re-sent, {stats.WorkersLost} worker(s) lost; " +
                $"{elapsed:0.00} s ({(elapsed > 0 ? total / elapsed : 0):0} tasks/s)"));
            return failed == 0 ? 0 : 1;
        });
        return command;
    }

    private static TaskArguments Arguments(string[] templates, int index)
    {
        var positional = new List<object?>();
        var keyword = new Dictionary<string, object?>();
        string i = index.ToString(CultureInfo.InvariantCulture);
        foreach (var template in templates)
        {
            string text = template.Replace("{i}", i, StringComparison.Ordinal);
            if (ArgumentWords.TryKeyword(text, out var name, out var value))
                keyword[name] = value;
            else if (keyword.Count > 0)
                throw new ArgumentException($"The positional argument '{template}' comes after a keyword one.");
            else
                positional.Add(ArgumentWords.FromJson(text));
        }
        return new TaskArguments(positional, keyword);
    }

    private static string Line(TaskResult result) => CliJson.Serialize(result.Ok
        ? new Dictionary<string, object?> { ["index"] = result.Index, ["ok"] = true, ["value"] = result.Value, ["worker"] = result.Worker }
        : new Dictionary<string, object?> { ["index"] = result.Index, ["ok"] = false, ["error"] = new { code = result.Error!.Code, type = result.Error.RemoteType, message = result.Error.Message }, ["worker"] = result.Worker });

    /// <summary>A one-line progress bar redrawn in place on stderr (at most 10 times a second).</summary>
    private sealed class ProgressLine(int total, string kind) : IProgress<TaskProgress>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TaskProgress _last = new(total, 0, 0, 0, 0);
        private long _drawnAt = -1000;
        private int _width;

        public void Report(TaskProgress value)
        {
            _last = value;
            Draw(force: value.Done == value.Total);
        }

        public void Draw(bool force = false)
        {
            long now = _clock.ElapsedMilliseconds;
            if (!force && now - _drawnAt < 100)
                return;
            _drawnAt = now;
            const int cells = 30;
            int filled = total == 0 ? cells : (int)((long)_last.Done * cells / total);
            double rate = now > 0 ? _last.Done * 1000.0 / now : 0;
            string line = string.Create(CultureInfo.InvariantCulture,
                $"{kind} [{new string('#', filled)}{new string('.', cells - filled)}] {_last.Done}/{total} {rate:0}/s, " +
                $"{_last.Workers} worker(s){(_last.Failed > 0 ? $", {_last.Failed} failed" : "")}{(_last.Resent > 0 ? $", {_last.Resent} re-sent" : "")}");
            Console.Error.Write("\r" + line.PadRight(_width));
            _width = line.Length;
        }

        public void Clear() => Console.Error.Write("\r" + new string(' ', _width) + "\r");

        public void Finish()
        {
            Draw(force: true);
            Console.Error.WriteLine();
        }
    }
}
