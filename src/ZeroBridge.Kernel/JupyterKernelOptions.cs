using System.Reflection;

namespace ZeroBridge.Kernel;

/// <summary>Settings of a Jupyter kernel. Immutable; change with <c>with</c>.</summary>
public sealed record JupyterKernelOptions
{
    /// <summary>The options with every default.</summary>
    public static JupyterKernelOptions Default { get; } = new();

    /// <summary>
    /// The connection file to serve (Jupyter passes one when it starts a kernel). Null (the default): bind free
    /// ports on <see cref="Ip"/> with a fresh key and write a connection file to <see cref="ConnectionFileToWrite"/>.
    /// </summary>
    public string? ConnectionFile { get; init; }

    /// <summary>
    /// Where a kernel without <see cref="ConnectionFile"/> writes its connection file (default: null, meaning
    /// <c>kernel-zbridge-&lt;pid&gt;.json</c> in Jupyter's runtime directory, where <c>jupyter console --existing</c> looks).
    /// </summary>
    public string? ConnectionFileToWrite { get; init; }

    /// <summary>The address to bind when the kernel picks its own ports (default: 127.0.0.1). Cells run arbitrary code: keep it on loopback.</summary>
    public string Ip { get; init; } = "127.0.0.1";

    /// <summary>Namespaces imported into every cell (default: System, System.Linq, System.Collections.Generic, System.Threading.Tasks, ZeroBridge.Kernel.Display).</summary>
    public IReadOnlyList<string> Imports { get; init; } =
        ["System", "System.Linq", "System.Collections.Generic", "System.Threading.Tasks", "ZeroBridge.Kernel.Display"];

    /// <summary>Assemblies cells may use besides the globals' own and the base library.</summary>
    public IReadOnlyList<Assembly> References { get; init; } = [];

    /// <summary>The most console output one cell sends to the front-end (default: 4 Mi characters); the rest is counted and dropped.</summary>
    public long MaxOutputBytesPerCell { get; init; } = 4L * 1024 * 1024;

    /// <summary>How often a running cell's console output is sent (default: 50 ms).</summary>
    public TimeSpan OutputFlushInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The largest message accepted from a front-end (default: 64 MiB).</summary>
    public long MaxMessageBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>How long an interrupted cell has to stop before it is abandoned (default: 2 s).</summary>
    public TimeSpan InterruptGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Whether a <c>shutdown_request</c> stops the kernel (default: true, as Jupyter expects of a kernel it started).
    /// A kernel embedded in an application sets it false: a front-end then restarts the session, never the application.
    /// </summary>
    public bool StopOnShutdownRequest { get; init; } = true;
}
