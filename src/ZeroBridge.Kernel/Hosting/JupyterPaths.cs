namespace ZeroBridge.Kernel.Hosting;

/// <summary>Jupyter's directories as jupyter_core computes them: where connection files and kernelspecs go.</summary>
public static class JupyterPaths
{
    /// <summary>The user's data directory: $JUPYTER_DATA_DIR, else the platform's (~/.local/share/jupyter on Linux).</summary>
    public static string DataDirectory()
    {
        if (Environment.GetEnvironmentVariable("JUPYTER_DATA_DIR") is { Length: > 0 } configured)
            return configured;
        if (OperatingSystem.IsWindows())
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData), "jupyter");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (OperatingSystem.IsMacOS())
            return Path.Combine(home, "Library", "Jupyter");
        return Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg
            ? Path.Combine(xdg, "jupyter")
            : Path.Combine(home, ".local", "share", "jupyter");
    }

    /// <summary>Where running kernels' connection files live: $JUPYTER_RUNTIME_DIR, else runtime/ in the data directory.</summary>
    public static string RuntimeDirectory() =>
        Environment.GetEnvironmentVariable("JUPYTER_RUNTIME_DIR") is { Length: > 0 } configured
            ? configured
            : Path.Combine(DataDirectory(), "runtime");
}
