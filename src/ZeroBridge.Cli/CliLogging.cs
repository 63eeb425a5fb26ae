using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace ZeroBridge.Cli;

/// <summary>
/// How zbridge's long-running commands log: to stderr, so stdout carries only what they say to a person (the
/// banner, the summary) and a log collector reading stderr gets nothing but log entries; configured the way .NET
/// programs are, from environment variables (<c>Logging__LogLevel__ZeroBridge=Debug</c>,
/// <c>Logging__Console__FormatterName=json</c> for one JSON object per line).
/// </summary>
internal static class CliLogging
{
    /// <summary>A logger factory for a command without a Generic Host, at <paramref name="minimum"/> unless configured.</summary>
    public static ILoggerFactory Create(LogLevel minimum) => LoggerFactory.Create(logging =>
    {
        logging.SetMinimumLevel(minimum);
        logging.AddConfiguration(new ConfigurationBuilder().AddEnvironmentVariables().Build().GetSection("Logging"));
        logging.AddConsole(); // the simple formatter unless Logging__Console__FormatterName names another
        // Without a formatter name the console logger falls back to its old options and ignores the formatter's.
        logging.Services.PostConfigure<ConsoleLoggerOptions>(o => o.FormatterName ??= ConsoleFormatterNames.Simple);
        logging.Services.Configure<SimpleConsoleFormatterOptions>(o => o.SingleLine = true);
        ToStandardError(logging.Services);
    });

    /// <summary>Sends every console log entry to stderr (a Generic Host's logging too).</summary>
    public static void ToStandardError(IServiceCollection services) =>
        services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
}
