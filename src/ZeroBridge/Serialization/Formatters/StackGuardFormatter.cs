using System.Runtime.CompilerServices;
using MessagePack;
using MessagePack.Formatters;

namespace ZeroBridge.Serialization.Formatters;

/// <summary>
/// Wraps the formatter of an application type (a class written by MessagePack-CSharp's generated formatters) so that
/// writing an object graph that contains itself, or nests deeper than the thread's stack allows, ends in a
/// serialization error instead of a stack overflow, which .NET cannot catch and which would end the whole process.
/// </summary>
/// <remarks>
/// MessagePack-CSharp limits depth only when reading. Values typed as <c>object</c> get a depth count of their own
/// (<see cref="DynamicValueFormatter"/>); typed graphs (a record whose property is its own type) pass through here at
/// every level instead, where the check is the runtime's own: <see cref="RuntimeHelpers.EnsureSufficientExecutionStack"/>
/// costs a comparison of the stack pointer.
/// </remarks>
internal sealed class StackGuardFormatter<T>(IMessagePackFormatter<T> inner) : IMessagePackFormatter<T>
{
    public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        inner.Serialize(ref writer, value, options);
    }

    public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => inner.Deserialize(ref reader, options);
}
