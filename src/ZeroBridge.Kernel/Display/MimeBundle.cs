namespace ZeroBridge.Kernel.Display;

/// <summary>
/// What a front-end shows for one value: the same content in several MIME types (<c>text/plain</c>,
/// <c>text/html</c>, <c>image/png</c> as base64…), from which the front-end picks the richest it can render.
/// </summary>
public sealed class MimeBundle
{
    /// <summary>A bundle of the given representations; <c>text/plain</c> should be among them.</summary>
    public MimeBundle(IReadOnlyDictionary<string, object> data, IReadOnlyDictionary<string, object>? metadata = null)
    {
        Data = data;
        Metadata = metadata ?? new Dictionary<string, object>();
    }

    /// <summary>MIME type to content: a string for text types and base64 images, or any JSON-serializable value for JSON types.</summary>
    public IReadOnlyDictionary<string, object> Data { get; }

    /// <summary>MIME type to metadata (e.g. an image's width and height).</summary>
    public IReadOnlyDictionary<string, object> Metadata { get; }

    /// <summary>The plain-text representation, or empty.</summary>
    public string PlainText => Data.TryGetValue("text/plain", out var text) ? text as string ?? "" : "";
}
