using System.ComponentModel;
using Microsoft.Extensions.Logging;
using ZeroBridge.Commands;

namespace ZeroBridge.Scripting;

/// <summary>Registers the <c>csharp.*</c> commands (docs/protocol.md, "C# scripts").</summary>
public static class ScriptingCommands
{
    /// <summary>
    /// Adds <c>csharp.run</c>, <c>csharp.output</c>, <c>csharp.complete</c>, <c>csharp.inspect</c>, <c>csharp.reset</c>
    /// and <c>csharp.sessions</c>. With <see cref="ScriptingOptions.Enabled"/>
    /// false (the default) they refuse; with it true the server refuses to start on a non-loopback endpoint.
    /// </summary>
    /// <param name="commands">The registry to add to.</param>
    /// <param name="globals">The object whose public members scripts see (the application's data and services).</param>
    /// <param name="options">The limits, and whether scripts are enabled at all.</param>
    /// <param name="logger">Logs every run with its client.</param>
    public static CommandRegistry AddScripting<TGlobals>(this CommandRegistry commands, TGlobals globals, ScriptingOptions options,
        ILogger? logger = null) where TGlobals : class
    {
        var host = new ScriptHost<TGlobals>(globals, options, logger);
        var target = new Endpoints<TGlobals>(host);
        var type = target.GetType();
        if (options.Enabled)
        {
            commands.AddMethod("csharp.run", type.GetMethod(nameof(Endpoints<TGlobals>.Run))!, target)
                .AddMethod("csharp.output", type.GetMethod(nameof(Endpoints<TGlobals>.Output))!, target)
                .AddMethod("csharp.complete", type.GetMethod(nameof(Endpoints<TGlobals>.Complete))!, target)
                .AddMethod("csharp.inspect", type.GetMethod(nameof(Endpoints<TGlobals>.Inspect))!, target)
                .AddMethod("csharp.reset", type.GetMethod(nameof(Endpoints<TGlobals>.Reset))!, target)
                .AddMethod("csharp.sessions", type.GetMethod(nameof(Endpoints<TGlobals>.ListSessions))!, target);
        }
        else
        {
            // The same names and signatures, so a caller learns why rather than that nothing is there.
            commands.AddMethod("csharp.run", type.GetMethod(nameof(Endpoints<TGlobals>.RunDisabled))!, target)
                .AddMethod("csharp.output", type.GetMethod(nameof(Endpoints<TGlobals>.OutputDisabled))!, target)
                .AddMethod("csharp.complete", type.GetMethod(nameof(Endpoints<TGlobals>.CompleteDisabled))!, target)
                .AddMethod("csharp.inspect", type.GetMethod(nameof(Endpoints<TGlobals>.InspectDisabled))!, target)
                .AddMethod("csharp.reset", type.GetMethod(nameof(Endpoints<TGlobals>.ResetDisabled))!, target)
                .AddMethod("csharp.sessions", type.GetMethod(nameof(Endpoints<TGlobals>.ListSessionsDisabled))!, target);
        }
        return commands;
    }

    /// <summary>The command methods, bound to one host.</summary>
    public sealed class Endpoints<TGlobals>(ScriptHost<TGlobals> host) where TGlobals : class
    {
        /// <summary>The longest a <c>csharp.output</c> call waits for new output, so it never holds a slot for long.</summary>
        public const double MaxOutputWaitSeconds = 5;

        /// <summary>Compiles and runs C# against the application; returns the last expression's value and the console output.</summary>
        /// <param name="code">C# script code; the value of a final expression (no semicolon) is returned.</param>
        /// <param name="session">The session whose variables and functions the code sees and extends.</param>
        /// <param name="timeout">Seconds before the script is stopped (at most the server's limit).</param>
        /// <param name="run">A name for this run, with which <c>csharp.output</c> reads its output while it runs.</param>
        /// <param name="context">Filled by the server.</param>
        [RequiresTrustedEndpoint, InternalCommand]
        public async Task<Dictionary<string, object?>> Run(string code, string session = "default", double? timeout = null, string? run = null,
            CommandContext context = null!)
        {
            var result = await host.RunAsync(code, session, timeout is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                Caller(context), context.CancellationToken, run).ConfigureAwait(false);
            return new Dictionary<string, object?>
            {
                ["value"] = result.Value,
                ["output"] = result.Output,
                ["elapsed_ms"] = result.ElapsedMilliseconds,
            };
        }

        /// <summary>
        /// The console output a run (named by <c>run</c> in its <c>csharp.run</c>) has written past <c>offset</c>, while it
        /// runs: waits up to <c>wait</c> seconds (at most 5) for some. Returns <c>text</c>, the <c>next</c> offset,
        /// <c>started</c> and <c>finished</c>.
        /// </summary>
        /// <param name="session">The run's session.</param>
        /// <param name="run">The run's name.</param>
        /// <param name="offset">Characters already read.</param>
        /// <param name="wait">Seconds to wait for new output (0 to 5).</param>
        /// <param name="context">Filled by the server.</param>
        [RequiresTrustedEndpoint, InternalCommand]
        public async Task<Dictionary<string, object?>> Output(string session, string run, int offset = 0, double wait = 0,
            CommandContext context = null!)
        {
            if (offset < 0 || !double.IsFinite(wait) || wait < 0)
                throw new ArgumentException("offset and wait must be zero or more.");
            var slice = await host.ReadOutputAsync(session, run, offset, TimeSpan.FromSeconds(Math.Min(wait, MaxOutputWaitSeconds)),
                context.CancellationToken).ConfigureAwait(false);
            return new Dictionary<string, object?>
            {
                ["text"] = slice.Text, ["next"] = slice.Next, ["started"] = slice.Started, ["finished"] = slice.Finished,
            };
        }

        /// <summary>
        /// Completions at <c>cursor</c> (a UTF-16 offset into <c>code</c>) as if the code ran next in <c>session</c>: the
        /// application's members and what the session defined. Returns <c>matches</c> (best first) and the
        /// <c>start</c> and <c>end</c> of the text they replace. Nothing runs.
        /// </summary>
        /// <param name="code">The code being edited.</param>
        /// <param name="cursor">The cursor, a UTF-16 offset into the code.</param>
        /// <param name="session">The session whose variables the code would see.</param>
        /// <param name="context">Filled by the server.</param>
        [RequiresTrustedEndpoint, InternalCommand]
        public async Task<Dictionary<string, object?>> Complete(string code, int cursor, string session = "default",
            CommandContext context = null!)
        {
            var found = await host.CompleteAsync(code, cursor, session, context.CancellationToken).ConfigureAwait(false);
            return new Dictionary<string, object?> { ["matches"] = found.Matches, ["start"] = found.Start, ["end"] = found.End };
        }

        /// <summary>
        /// The signature and documentation of the symbol at <c>cursor</c> (a UTF-16 offset into <c>code</c>), as if the
        /// code ran next in <c>session</c>. Returns <c>found</c> and <c>text</c>. Nothing runs.
        /// </summary>
        /// <param name="code">The code being edited.</param>
        /// <param name="cursor">The cursor, a UTF-16 offset into the code.</param>
        /// <param name="session">The session whose variables the code would see.</param>
        /// <param name="context">Filled by the server.</param>
        [RequiresTrustedEndpoint, InternalCommand]
        public async Task<Dictionary<string, object?>> Inspect(string code, int cursor, string session = "default",
            CommandContext context = null!)
        {
            string? text = await host.InspectAsync(code, cursor, session, context.CancellationToken).ConfigureAwait(false);
            return new Dictionary<string, object?> { ["found"] = text is not null, ["text"] = text };
        }

        /// <summary>How the run is logged: the caller's proved key and name when the server authenticates, and its connection.</summary>
        private static string Caller(CommandContext context) =>
            context.Caller is { } caller ? $"key {caller.Display} on {context.Peer}" : context.Peer;

        /// <summary>Forgets a session's variables, functions and usings.</summary>
        /// <param name="session">The session to reset.</param>
        [RequiresTrustedEndpoint, InternalCommand]
        public bool Reset(string session = "default") => host.Reset(session);

        /// <summary>The sessions that exist now.</summary>
        [RequiresTrustedEndpoint, InternalCommand]
        public IReadOnlyList<string> ListSessions() => host.Sessions;

        /// <summary>Code execution is disabled on this server.</summary>
        [InternalCommand, Description("Code execution is disabled on this server (start it with --allow-scripts).")]
        public Dictionary<string, object?> RunDisabled(string code, string session = "default", double? timeout = null, string? run = null) =>
            throw Disabled();

        /// <summary>Code execution is disabled on this server.</summary>
        [InternalCommand]
        public Dictionary<string, object?> OutputDisabled(string session, string run, int offset = 0, double wait = 0) => throw Disabled();

        /// <summary>Code execution is disabled on this server.</summary>
        [InternalCommand]
        public Dictionary<string, object?> CompleteDisabled(string code, int cursor, string session = "default") => throw Disabled();

        /// <summary>Code execution is disabled on this server.</summary>
        [InternalCommand]
        public Dictionary<string, object?> InspectDisabled(string code, int cursor, string session = "default") => throw Disabled();

        /// <summary>Code execution is disabled on this server.</summary>
        [InternalCommand]
        public bool ResetDisabled(string session = "default") => throw Disabled();

        /// <summary>Code execution is disabled on this server.</summary>
        [InternalCommand]
        public IReadOnlyList<string> ListSessionsDisabled() => throw Disabled();

        private static PermissionDeniedException Disabled() => new(
            "Code execution is disabled on this server. Start it with --allow-scripts (zbridge) or ScriptingOptions.Enabled = true.");
    }
}
