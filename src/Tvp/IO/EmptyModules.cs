using TorchSharp;
using static TorchSharp.torch;

namespace Tvp.IO;

/// <summary>
/// Builds modules without allocating or initialising their weights: the constructor runs with TorchSharp's
/// default device set to <c>meta</c>, so every parameter and buffer it creates is a shape-only meta tensor and
/// the random initialisers (<c>reset_parameters</c>, <c>randn</c>) cost nothing. <see cref="StateDictLoader"/>
/// then replaces each meta tensor by the checkpoint's tensor, read straight from the file in the chosen dtype.
/// (TorchSharp 0.107 has neither <c>to_empty</c> nor <c>skip_init</c>; a meta default device is the one way it
/// offers to create a module's tensors without touching memory.)
/// </summary>
internal static class EmptyModules
{
    private static readonly object _gate = new();

    /// <summary>
    /// Checkpoints at least this big (bytes of tensor data) are loaded into modules built empty. TorchSharp's default
    /// device is process-wide, so while a module is being built on meta, tensors created on OTHER threads without an
    /// explicit device would land on meta too: small models (where random init costs milliseconds) are built
    /// normally, and a big one is built while tvp does nothing else (loading comes before any training or scoring).
    /// </summary>
    public const long MinimumBytes = 256L << 20;

    /// <summary>
    /// Builds the module for <paramref name="checkpoint"/>: empty (see <see cref="Create{T}(Func{T})"/>) when the
    /// checkpoint holds at least <see cref="MinimumBytes"/>, normally otherwise. Either way
    /// <see cref="StateDictLoader"/> fills it in the chosen dtype.
    /// </summary>
    public static T CreateFor<T>(Checkpoint checkpoint, Func<T> construct) where T : nn.Module =>
        checkpoint.DataBytes >= MinimumBytes ? Create(construct) : construct();

    /// <summary>
    /// Runs <paramref name="construct"/> with meta as the default device (process-wide: see <see cref="MinimumBytes"/>). Constructors must create their
    /// tensors through the factories (no data computed in the constructor that is not in the checkpoint);
    /// anything left on meta after loading is reported by <see cref="StateDictLoader"/>.
    /// </summary>
    public static T Create<T>(Func<T> construct) where T : nn.Module
    {
        // The default device is process-wide in TorchSharp: serialise constructions and restore it at once.
        lock (_gate)
        {
            var previous = get_default_device();
            set_default_device(META);
            try { return construct(); }
            finally { set_default_device(previous); }
        }
    }

    /// <summary>True when the tensor has no storage (created under <see cref="Create{T}"/> and not loaded yet).</summary>
    public static bool IsMeta(Tensor t) => t.device_type == DeviceType.META;
}
