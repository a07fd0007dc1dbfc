using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Tvp.Models;

/// <summary>
/// Activation checkpointing (<c>--activation-checkpointing</c>): a checkpointed segment (one decoder layer) keeps
/// only its input while the graph is recorded and runs its forward again during backward, so a long language model
/// holds one layer's intermediate activations at a time instead of all of them. Gradients are the same as without
/// it (the recomputation is the same arithmetic on the same values); the cost is one extra forward of each segment.
/// <para>
/// TorchSharp 0.107 has no <c>torch.utils.checkpoint</c>, so this is the reentrant variant written on its custom
/// autograd function (<see cref="SingleTensorFunction{T}"/>): the backward recomputes the segment with gradients
/// enabled and back-propagates the incoming gradient through it, which also accumulates the gradients of any
/// parameter that requires one, exactly as the un-checkpointed graph would.
/// </para>
/// <para>
/// The setting is ambient like <see cref="IO.ModelLoadOptions"/>: a command sets it with <see cref="Use"/> and the
/// models that support it (LLaMA and OPT decoders) read <see cref="Enabled"/>. It only acts while a gradient is
/// recorded and the segment's input requires one; evaluation and scoring are unchanged.
/// </para>
/// </summary>
public static class ActivationCheckpointing
{
    private static readonly AsyncLocal<bool> _enabled = new();
    private static long _recomputations;

    /// <summary>Segments recomputed in backward since the process started (for tests: proves the path ran).</summary>
    internal static long Recomputations => Interlocked.Read(ref _recomputations);

    /// <summary>True when checkpointing is on for this logical call path.</summary>
    public static bool Enabled => _enabled.Value;

    /// <summary>Turns checkpointing on or off until the returned scope is disposed (the previous value is restored).</summary>
    public static IDisposable Use(bool enabled)
    {
        bool previous = _enabled.Value;
        _enabled.Value = enabled;
        return new Scope(previous);
    }

    /// <summary>
    /// <paramref name="segment"/>(<paramref name="input"/>, <paramref name="constants"/>), checkpointed when
    /// <see cref="Enabled"/>, gradients are recorded and <paramref name="input"/> requires one; otherwise a plain call.
    /// <paramref name="constants"/> are tensors the segment reads but never differentiates (masks, rotary tables);
    /// they are kept alive for the recomputation. The segment must be deterministic (no dropout in training mode).
    /// </summary>
    public static Tensor Run(Func<Tensor, IReadOnlyList<Tensor>, Tensor> segment, Tensor input, params Tensor[] constants)
    {
        if (!Enabled || !is_grad_enabled() || !input.requires_grad) return segment(input, constants);
        return RecomputedSegment.apply(input, segment, constants);
    }

    private sealed class Scope(bool previous) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _enabled.Value = previous;
        }
    }

    /// <summary>The autograd node: forward without a graph, backward = recompute with one + back-propagate.</summary>
    private sealed class RecomputedSegment : SingleTensorFunction<RecomputedSegment>
    {
        private const string SegmentKey = "segment";

        public override string Name => "ActivationCheckpoint";

        public override Tensor forward(AutogradContext ctx, params object[] vars)
        {
            var input = (Tensor)vars[0];
            var segment = (Func<Tensor, IReadOnlyList<Tensor>, Tensor>)vars[1];
            var constants = (Tensor[])vars[2];
            ctx.save_for_backward([input, .. constants]);
            ctx.save_data(SegmentKey, segment);
            return segment(input, constants);                                              // runs under no_grad (apply)
        }

        public override List<Tensor> backward(AutogradContext ctx, Tensor gradOutput)
        {
            var segment = (Func<Tensor, IReadOnlyList<Tensor>, Tensor>)ctx.get_data(SegmentKey);
            Interlocked.Increment(ref _recomputations);
            Tensor gradInput;
            using (var scope = NewDisposeScope())
            {
                var saved = ctx.get_saved_variables();
                using var recording = enable_grad();
                var input = saved[0].detach().requires_grad_(true);
                var output = segment(input, saved.Skip(1).ToArray());
                output.backward([gradOutput]);                                              // also accumulates parameter grads
                gradInput = input.grad!.MoveToOuterDisposeScope();
            }
            return [gradInput, null!, null!];                                              // nothing for the segment and constants
        }
    }
}
