namespace Tvp.IO;

/// <summary>
/// How checkpoints are turned into modules: the weights' dtype (<c>--dtype</c>) and whether checkpoint tensors the
/// model does not use are tolerated (<c>--allow-unused-weights</c>).
/// <para>
/// The options are ambient: a command sets them with <see cref="Use"/> around model loading, and
/// <see cref="StateDictLoader"/> (which every family loads through) reads <see cref="Current"/>. Families need no
/// extra parameter to honour them.
/// </para>
/// </summary>
/// <param name="DType">Weight dtype; <see cref="WeightDType.Auto"/> = the checkpoint's own.</param>
/// <param name="AllowUnusedWeights">Accept checkpoint tensors no module parameter or buffer takes.</param>
public sealed record ModelLoadOptions(
    WeightDType DType = WeightDType.Auto,
    bool AllowUnusedWeights = false)
{
    private static readonly AsyncLocal<ModelLoadOptions?> _current = new();

    /// <summary>The defaults: the checkpoint's dtype, unused tensors are an error.</summary>
    public static ModelLoadOptions Default { get; } = new();

    /// <summary>The options in effect on this logical call path (<see cref="Default"/> when none were set).</summary>
    public static ModelLoadOptions Current => _current.Value ?? Default;

    /// <summary>Makes <paramref name="options"/> current until the returned scope is disposed.</summary>
    public static IDisposable Use(ModelLoadOptions options)
    {
        var previous = _current.Value;
        _current.Value = options;
        return new Scope(previous);
    }

    private sealed class Scope(ModelLoadOptions? previous) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _current.Value = previous;
        }
    }
}
