using System.Reflection;

namespace ZeroBridge.Commands;

/// <summary>
/// Turns whatever a command method returns (a value, <see cref="Task"/>, <see cref="Task{T}"/>,
/// <see cref="ValueTask"/>, <see cref="ValueTask{T}"/>) into one awaitable result, decided once per method.
/// </summary>
internal static class ResultAwaiting
{
    public static (Type ResultType, Func<object?, ValueTask<object?>> Await) For(Type returnType)
    {
        if (returnType == typeof(void))
            return (typeof(void), _ => ValueTask.FromResult<object?>(null));
        if (returnType == typeof(Task))
            return (typeof(void), async returned => { await ((Task)returned!).ConfigureAwait(false); return null; });
        if (returnType == typeof(ValueTask))
            return (typeof(void), async returned => { await ((ValueTask)returned!).ConfigureAwait(false); return null; });
        if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>))
        {
            var result = returnType.GetProperty(nameof(Task<object>.Result))!;
            return (returnType.GetGenericArguments()[0], async returned =>
            {
                var task = (Task)returned!;
                await task.ConfigureAwait(false);
                return result.GetValue(task);
            });
        }
        if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(ValueTask<>))
        {
            var asTask = returnType.GetMethod(nameof(ValueTask<object>.AsTask))!;
            var result = asTask.ReturnType.GetProperty(nameof(Task<object>.Result))!;
            return (returnType.GetGenericArguments()[0], async returned =>
            {
                var task = (Task)asTask.Invoke(returned, null)!;
                await task.ConfigureAwait(false);
                return result.GetValue(task);
            });
        }
        return (returnType, returned => ValueTask.FromResult(returned));
    }
}
