using System.Diagnostics;
using System.Text;

namespace ZeroBridge.Tests.Tasks;

/// <summary>Real Python task-worker processes (/usr/bin/python3 with the repository's python/ package), killed on dispose.</summary>
internal sealed class PythonTaskWorkers : IDisposable
{
    /// <summary>The same worker the Python tests run (python/tests/task_worker_fixture.py).</summary>
    private static string Script => Path.Combine(RepositoryRoot, "python", "tests", "task_worker_fixture.py");

    private readonly List<(Process Process, StringBuilder Output)> _processes = [];

    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>
    /// Why the Python side cannot run (its interpreter lacks pyzmq or msgpack), checked once, so a test fails at once
    /// naming what to install rather than timing out waiting for workers that died on import.
    /// </summary>
    private static readonly Lazy<string?> MissingPython = new(CheckPython);

    public Process Start(string endpoint, string name, params (string Key, string Value)[] environment)
    {
        if (MissingPython.Value is { } problem)
            throw new InvalidOperationException(problem);
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            ArgumentList = { Script, endpoint, name },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["PYTHONPATH"] = Path.Combine(RepositoryRoot, "python");
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add((process, output));
        return process;
    }

    /// <summary>What the workers printed (for assertion messages).</summary>
    public string Output() => string.Join("\n", _processes.Select(p => { lock (p.Output) return p.Output.ToString(); }));

    public void Dispose()
    {
        foreach (var (process, _) in _processes)
        {
            try
            {
                if (!process.HasExited)
                    process.Kill(entireProcessTree: true); // SIGKILL
                process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
    }

    private static string? CheckPython()
    {
        const string hint = "run ./test.sh (it installs them) or: apt-get install python3-zmq python3-msgpack";
        try
        {
            using var check = Process.Start(new ProcessStartInfo("/usr/bin/python3")
            {
                ArgumentList = { "-c", "import zmq, msgpack" },
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            string error = check.StandardError.ReadToEnd();
            if (!check.WaitForExit(30_000))
            {
                check.Kill();
                return "The Python task workers cannot start: /usr/bin/python3 did not answer in 30 s.";
            }
            return check.ExitCode == 0 ? null
                : $"The Python task workers cannot start: /usr/bin/python3 lacks pyzmq or msgpack ({error.Trim().Split('\n')[^1]}); {hint}.";
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return $"The Python task workers cannot start: /usr/bin/python3 is missing ({ex.Message}); {hint}.";
        }
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "python", "zerobridge", "__init__.py")))
                return directory.FullName;
        throw new InvalidOperationException("The repository root (with python/zerobridge) was not found above " + AppContext.BaseDirectory);
    }
}
