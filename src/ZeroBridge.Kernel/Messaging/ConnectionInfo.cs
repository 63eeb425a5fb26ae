using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ZeroBridge.Kernel.Messaging;

/// <summary>
/// A Jupyter connection file: where the kernel's five sockets listen and the key that signs every message.
/// Jupyter writes one and starts the kernel with it; an embedded kernel binds free ports and writes its own.
/// </summary>
public sealed record ConnectionInfo
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The ZeroMQ transport (default: tcp).</summary>
    [JsonPropertyName("transport")] public string Transport { get; init; } = "tcp";

    /// <summary>The address the sockets bind to (default: 127.0.0.1).</summary>
    [JsonPropertyName("ip")] public string Ip { get; init; } = "127.0.0.1";

    /// <summary>Requests and replies (execute, complete, inspect…).</summary>
    [JsonPropertyName("shell_port")] public int ShellPort { get; init; }

    /// <summary>Broadcast output: status, streams, results, displays.</summary>
    [JsonPropertyName("iopub_port")] public int IOPubPort { get; init; }

    /// <summary>Input the kernel asks the front-end for (Console.ReadLine in a cell).</summary>
    [JsonPropertyName("stdin_port")] public int StdinPort { get; init; }

    /// <summary>Interrupt, shutdown and kernel_info, served even while a cell runs.</summary>
    [JsonPropertyName("control_port")] public int ControlPort { get; init; }

    /// <summary>The heartbeat echo.</summary>
    [JsonPropertyName("hb_port")] public int HeartbeatPort { get; init; }

    /// <summary>The HMAC key; empty means messages are not signed.</summary>
    [JsonPropertyName("key")] public string Key { get; init; } = "";

    /// <summary>The signature scheme; only <c>hmac-sha256</c> is supported.</summary>
    [JsonPropertyName("signature_scheme")] public string SignatureScheme { get; init; } = "hmac-sha256";

    /// <summary>The kernelspec the kernel was started from, if any.</summary>
    [JsonPropertyName("kernel_name")] public string KernelName { get; init; } = "";

    /// <summary>A connection with a fresh random key and every port 0 (the kernel binds free ports).</summary>
    public static ConnectionInfo CreateNew(string ip = "127.0.0.1") =>
        new() { Ip = ip, Key = Hex.Lower(RandomNumberGenerator.GetBytes(32)) };

    /// <summary>Reads a connection file.</summary>
    /// <exception cref="InvalidDataException">The file is not a connection file this kernel can serve.</exception>
    public static ConnectionInfo Read(string path)
    {
        ConnectionInfo? info;
        try
        {
            info = JsonSerializer.Deserialize<ConnectionInfo>(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path} is not a Jupyter connection file: {ex.Message}", ex);
        }
        if (info is null)
            throw new InvalidDataException($"{path} is not a Jupyter connection file.");
        if (info.Key.Length > 0 && info.SignatureScheme != "hmac-sha256")
            throw new InvalidDataException($"{path} asks for the signature scheme '{info.SignatureScheme}'; this kernel supports hmac-sha256.");
        return info;
    }

    /// <summary>Writes the connection file, readable by its owner only (it holds the key).</summary>
    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        JsonSerializer.Serialize(stream, this, Json);
    }

    /// <summary>The endpoint for a port: <c>tcp://ip:port</c>, or <c>tcp://ip:*</c> for port 0.</summary>
    public string Endpoint(int port) => $"{Transport}://{Ip}:{(port == 0 ? "*" : port.ToString(System.Globalization.CultureInfo.InvariantCulture))}";
}
