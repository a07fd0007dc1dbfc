using Tvp.Models.Onnx;
using static TorchSharp.torch;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo.Zoo;

/// <summary>
/// The frozen ImageNet ResNet-18 (the NuGet ONNX export) shared by every shared-encoder zoo model, at a chosen
/// input resolution. Returns the last spatial map (<c>ReLU393_Output_0</c>, [B,512,h,w], before the graph's fixed
/// 7×7 pooling) and its global mean (the pooled features, [B,512]; equal to the graph's own output at 224 px).
/// Preprocessing: resize the prompted canvas to the resolution (bilinear), RGB → BGR, ×255, minus the per-channel
/// mean of the package's 224×224 mean image (a mean IMAGE makes no sense at another resolution).
/// <para>
/// Memo: the last input of each grad mode and its spatial map are kept, so several heads handed the same batch (CandidateScorer gives
/// every model on a device the same prompted tensor; the trainer gives the source and the TSE guide the same
/// prompted tensor, which <c>.to(device)</c> re-wraps) run the encoder once. A hit needs the same grad mode and
/// a tensor over the same memory (data pointer, shape, strides, dtype): the
/// memo holds an alias of the last input, so its memory cannot be reused by another tensor while it is kept.
/// With grad enabled the kept map carries its autograd graph, which is how the source's loss and TSE share one
/// forward pass and both still send gradients to the prompt. Inputs must not be modified in place.
/// </para>
/// <para>Who shares an instance is explicit: the zoo models and the guide built from one
/// <see cref="SharedEncoders"/> share its encoder per (resolution, device).</para>
/// </summary>
internal sealed class SharedEncoder : IDisposable
{
    /// <summary>The last spatial map of the CNTK ResNet-18 graph (input of its global pooling).</summary>
    public const string SpatialOutput = "ReLU393_Output_0";
    private const string GraphInput = "Input247";

    private readonly OnnxGraph _graph;
    // One memo slot per grad mode: the trainer's clean no-grad FCA pass must not evict the prompted batch that the
    // source's loss and TSE share.
    private readonly Tensor?[] _lastInput = new Tensor?[2];
    private readonly Tensor?[] _lastSpatial = new Tensor?[2];

    /// <summary>Input size, mean/std (in [0,1] RGB units) and interpolation.</summary>
    public ModelInfo Info { get; }

    /// <summary>Input resolution in pixels.</summary>
    public int Resolution { get; }

    /// <summary>Channels of the spatial map and of the pooled features.</summary>
    public int Dimension => 512;

    /// <summary>The device the graph runs on.</summary>
    public Device Device => _graph.Device;

    /// <summary>How many times the graph ran (memo hits do not count); for tests and benchmarks.</summary>
    public long Runs { get; private set; }

    /// <summary>Loads the ResNet-18 graph onto <paramref name="device"/> for inputs of <paramref name="resolution"/> px.</summary>
    internal SharedEncoder(int resolution, Device device)
    {
        if (resolution < 32) throw new ArgumentException($"shared encoder resolution must be at least 32 px, got {resolution}");
        Resolution = resolution;
        Info = DescribeInput(resolution);
        _graph = OnnxGraph.Load(OnnxAssets.ResNet18Path(), device);
    }

    private static float[]? _meanRgb;

    /// <summary>The encoder's input description at <paramref name="resolution"/>: [0,1] RGB units, std 1/255 (×255), per-channel mean.</summary>
    internal static ModelInfo DescribeInput(int resolution)
    {
        if (_meanRgb is null)
        {
            var bgr = ChannelMeanBgr();
            _meanRgb = new[] { bgr[2] / 255f, bgr[1] / 255f, bgr[0] / 255f };
        }
        var std = new[] { 1f / 255f, 1f / 255f, 1f / 255f };
        return new ModelInfo($"resnet18-onnx@{resolution}", "zoo", resolution, _meanRgb, std, "bilinear");
    }

    /// <summary>The per-channel mean (B, G, R order, 0–255) of the package's mean image: its preprocessing graph applied to black.</summary>
    internal static float[] ChannelMeanBgr()
    {
        using var prep = OnnxGraph.Load(OnnxAssets.ResNet18PreprocessPath(), CPU);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var black = zeros(1, 3, 224, 224);
        var minusMean = prep.Run("OriginalInput", black);                     // [1, 3, 224, 224] = −mean image (BGR)
        var mean = (-minusMean).mean(new long[] { 0, 2, 3 }).cpu();             // [3]
        return mean.data<float>().ToArray();
    }

    /// <summary>The spatial map [B,512,h,w] of prompted canvases [B,3,H,W] (raw pixel space).</summary>
    public Tensor Spatial(Tensor pixels)
    {
        bool grad = is_grad_enabled();
        if (IsLastInput(pixels, grad)) return _lastSpatial[grad ? 1 : 0]!.alias();
        using var scope = NewDisposeScope();
        var x = ModelInput.Prepare(pixels.to(Device), Info).flip(1);          // [B, 3, R, R] BGR, 0–255 minus mean
        var map = _graph.Run(GraphInput, x, SpatialOutput);                     // [B, 512, h, w]
        Runs++;
        Remember(pixels, map, grad);
        return map.MoveToOuterDisposeScope();
    }

    /// <summary>Global-average-pooled features [B,512].</summary>
    public Tensor Pooled(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        return Spatial(pixels).mean(new long[] { 2, 3 }).MoveToOuterDisposeScope(); // [B, 512]
    }

    private bool IsLastInput(Tensor pixels, bool grad)
    {
        int k = grad ? 1 : 0;
        var last = _lastInput[k];
        if (last is null || _lastSpatial[k] is null || pixels.IsInvalid) return false;
        return pixels.device_type == last.device_type && pixels.device_index == last.device_index && pixels.dtype == last.dtype
            && pixels.shape.SequenceEqual(last.shape) && pixels.stride().SequenceEqual(last.stride())
            && pixels.dtype == ScalarType.Float32 && pixels.storage_offset() == last.storage_offset()
            && DataPointer(pixels) == DataPointer(last);
    }

    // The first element's address. Not storage<float>().data_ptr(): TorchSharp's Storage keeps the tensor's memory alive
    // until the garbage collector finalises it, which held every step's pixel batch for as long (found with the tensor
    // block cache's counters).
    [System.Runtime.InteropServices.DllImport("LibTorchSharp")]
    private static extern IntPtr THSTensor_data(IntPtr tensor);

    private static IntPtr DataPointer(Tensor t) => THSTensor_data(t.Handle);

    private void Remember(Tensor input, Tensor map, bool grad)
    {
        int k = grad ? 1 : 0;
        Drop(k);
        _lastInput[k] = input.alias().DetachFromDisposeScope();
        _lastSpatial[k] = map.alias().DetachFromDisposeScope();
    }

    private void Drop(int k)
    {
        _lastSpatial[k]?.Dispose();
        _lastSpatial[k] = null;
        _lastInput[k]?.Dispose();
        _lastInput[k] = null;
    }

    /// <summary>Drops the memo (and with it any autograd graph it holds).</summary>
    public void Forget()
    {
        Drop(0);
        Drop(1);
    }

    /// <summary>Frees the memo and the graph.</summary>
    public void Dispose()
    {
        Forget();
        _graph.Dispose();
    }
}
