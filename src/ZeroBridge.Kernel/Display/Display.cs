using ZeroBridge.Kernel.Execution;

namespace ZeroBridge.Kernel.Display;

/// <summary>
/// Shows things in the notebook while a cell runs, beside its result: <c>Display.Show(orders)</c>,
/// <c>Display.Image(png)</c>, <c>Display.Html("&lt;b&gt;hi&lt;/b&gt;")</c>, <c>Display.Mime(bundle)</c>. Each call
/// returns a handle whose <see cref="DisplayHandle.Update"/> replaces what it showed (a progress line), and
/// <see cref="ClearOutput"/> clears what the cell showed so far. Cells can also write <c>display(value)</c> and
/// <c>clear_output()</c>. Outside a kernel cell the calls do nothing.
/// </summary>
public static class Display
{
    /// <summary>Shows a value as a cell result would be shown (tables, images, text).</summary>
    public static DisplayHandle Show(object? value) => Publish(MimeFormatter.Format(value));

    /// <summary>Shows PNG bytes as an image.</summary>
    public static DisplayHandle Image(byte[] png) => Publish(MimeFormatter.Png(png));

    /// <summary>Shows an image file (PNG).</summary>
    public static DisplayHandle Image(string path) => Image(File.ReadAllBytes(path));

    /// <summary>Shows HTML.</summary>
    public static DisplayHandle Html(string html) =>
        Publish(new MimeBundle(new Dictionary<string, object> { ["text/html"] = html, ["text/plain"] = html }));

    /// <summary>Shows Markdown.</summary>
    public static DisplayHandle Markdown(string markdown) =>
        Publish(new MimeBundle(new Dictionary<string, object> { ["text/markdown"] = markdown, ["text/plain"] = markdown }));

    /// <summary>Shows any MIME bundle: MIME type to content (strings; base64 for binary types).</summary>
    public static DisplayHandle Mime(IReadOnlyDictionary<string, object> data, IReadOnlyDictionary<string, object>? metadata = null) =>
        Publish(new MimeBundle(data, metadata));

    /// <summary>
    /// Shows a value in the front-end's pager instead of the cell's output (formatted as <see cref="Show"/> formats it),
    /// as IPython's <c>page</c> does: a pane beside the notebook, the terminal pager in <c>jupyter console</c>. Long
    /// help texts belong there. A cell can page several values; they are shown in order once it has run.
    /// </summary>
    public static void Page(object? value) => CellChannel.Current?.Page(MimeFormatter.Format(value));

    /// <summary>
    /// Clears what the running cell has shown so far (output, displays), as IPython's <c>clear_output</c> does.
    /// </summary>
    /// <param name="wait">
    /// Whether the front-end keeps the old output until new output arrives, so that an animation redrawn in a loop
    /// does not flicker (default: false, clear at once).
    /// </param>
    public static void ClearOutput(bool wait = false) => CellChannel.Current?.ClearOutput(wait);

    private static DisplayHandle Publish(MimeBundle bundle)
    {
        var handle = new DisplayHandle(Guid.NewGuid().ToString("N"));
        CellChannel.Current?.Display(bundle, handle.Id, update: false);
        return handle;
    }
}

/// <summary>The <c>display(value)</c> function cells see (imported with <c>using static</c>).</summary>
public static class DisplayFunctions
{
    /// <summary>Shows a value in the notebook, as <see cref="Display.Show"/> does.</summary>
    public static void display(object? value) => Display.Show(value);

    /// <summary>Clears what the cell has shown so far, as <see cref="Display.ClearOutput"/> does.</summary>
    /// <param name="wait">Whether the front-end keeps the old output until new output arrives.</param>
    public static void clear_output(bool wait = false) => Display.ClearOutput(wait);
}

/// <summary>Something shown with <see cref="Display"/>; update it to replace it in place.</summary>
public sealed class DisplayHandle
{
    internal DisplayHandle(string id) => Id = id;

    /// <summary>The display id front-ends key updates by.</summary>
    public string Id { get; }

    /// <summary>Replaces what this display shows with <paramref name="value"/> (formatted as <see cref="Display.Show"/> does).</summary>
    public void Update(object? value) => CellChannel.Current?.Display(MimeFormatter.Format(value), Id, update: true);

    /// <inheritdoc/>
    public override string ToString() => $"display {Id}";
}
