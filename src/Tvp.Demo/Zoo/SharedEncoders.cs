using static TorchSharp.torch;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo.Zoo;

/// <summary>
/// The shared ResNet-18 encoders of one demo session, one per (resolution, device), counted by their users. This
/// object is what zoo models and the offline guide share: whoever builds them passes the same instance to each
/// (<see cref="ZooFamily"/>, <see cref="Guides.OfflineGuideFamily"/>, <see cref="DemoZoo"/>) — there is no
/// process-wide pool. An encoder is freed when its last user releases it.
/// </summary>
internal sealed class SharedEncoders
{
    private readonly Dictionary<(int Resolution, string Device), (SharedEncoder Encoder, int Users)> _encoders = new();

    /// <summary>The encoder for (<paramref name="resolution"/>, <paramref name="device"/>), built on first use; call <see cref="Release"/> when done.</summary>
    public SharedEncoder Acquire(int resolution, Device device)
    {
        var key = (resolution, device.ToString());
        lock (_encoders)
        {
            if (_encoders.TryGetValue(key, out var e)) { _encoders[key] = (e.Encoder, e.Users + 1); return e.Encoder; }
            var encoder = new SharedEncoder(resolution, device);
            _encoders[key] = (encoder, 1);
            return encoder;
        }
    }

    /// <summary>Releases one use of <paramref name="encoder"/>; the last release frees it.</summary>
    public void Release(SharedEncoder encoder)
    {
        lock (_encoders)
        {
            foreach (var (key, e) in _encoders)
            {
                if (!ReferenceEquals(e.Encoder, encoder)) continue;
                if (e.Users > 1) { _encoders[key] = (encoder, e.Users - 1); return; }
                _encoders.Remove(key);
                break;
            }
        }
        encoder.Dispose();
    }

    /// <summary>Encoders currently held (for tests).</summary>
    internal int Count { get { lock (_encoders) return _encoders.Count; } }
}
