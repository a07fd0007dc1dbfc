using static TorchSharp.torch;

namespace Tvp.Bench;

/// <summary>
/// <c>conv-grad</c>: float32 outputs and input gradients of 2-D convolutions (oneDNN) against float64 (libtorch's own kernels,
/// not oneDNN) for a few shapes, NCHW and channels-last: outputs once, gradients in 5 calls at 1 and at 2 threads and from 16
/// concurrent callers (as in a parallel test run). On the build VM some shapes come out wrong (input gradients of 3→4 and
/// 96→24 channels, 3×3, NCHW; outputs of channels-last 1×1 convolutions such as 320→1280 at 7×7). Exit code 1 when any
/// shape is off by more than 1e-3 of its output's or gradient's scale.
/// </summary>
public static class ConvGradientCheck
{
    private sealed record Shape(int In, int Out, int Kernel, int Pad, int Stride, int Side, bool Depthwise = false)
    {
        public override string ToString() => $"{(Depthwise ? "depthwise conv" : "conv")} {In}->{Out} {Kernel}x{Kernel} stride {Stride} at {Side}px";
    }

    private static readonly Shape[] Shapes =
    [
        new(3, 4, 3, 1, 1, 8), new(3, 4, 3, 1, 1, 32), new(3, 8, 3, 1, 2, 128), new(3, 16, 3, 1, 1, 32), new(3, 24, 3, 1, 2, 192),
        new(3, 32, 3, 1, 2, 224), new(3, 64, 7, 3, 2, 224), new(96, 24, 3, 1, 1, 16),
        // the MobileNets' depthwise convolutions (V2 1.0/224, V1 0.75/192), which run channels-last when back-propagating
        new(32, 32, 3, 1, 1, 112, true), new(96, 96, 3, 1, 2, 112, true), new(144, 144, 3, 1, 1, 56, true), new(144, 144, 3, 1, 2, 56, true),
        new(192, 192, 3, 1, 2, 28, true), new(384, 384, 3, 1, 1, 14, true), new(576, 576, 3, 1, 2, 14, true), new(960, 960, 3, 1, 1, 7, true),
        new(24, 24, 3, 1, 1, 96, true), new(48, 48, 3, 1, 2, 96, true), new(96, 96, 3, 1, 1, 48, true), new(384, 384, 3, 1, 1, 12, true),
        new(768, 768, 3, 1, 1, 6, true),
        // their pointwise (1×1) shapes as oneDNN convolutions (the MobileNets run them as GEMMs; channels-last, oneDNN
        // picks its brgemm kernel, whose forward values are wrong for some shapes here, e.g. 320→1280 at 7×7), and
        // ResNet-50-style 1×1 shapes an imported ONNX model would have
        new(32, 16, 1, 0, 1, 112), new(16, 96, 1, 0, 1, 112), new(144, 24, 1, 0, 1, 56), new(24, 144, 1, 0, 1, 56),
        new(192, 32, 1, 0, 1, 28), new(64, 384, 1, 0, 1, 14), new(384, 64, 1, 0, 1, 14), new(960, 160, 1, 0, 1, 7),
        new(320, 1280, 1, 0, 1, 7), new(24, 48, 1, 0, 1, 96), new(192, 384, 1, 0, 1, 24), new(768, 768, 1, 0, 1, 6),
        new(960, 320, 1, 0, 1, 7), new(512, 512, 1, 0, 1, 7), new(128, 512, 1, 0, 1, 28), new(64, 256, 1, 0, 1, 56),
    ];

    public static int Run(string[] args)
    {
        var g = new Generator(1);
        bool wrong = false;
        void Report(Shape s, string how, double rel, string what = "gradient")
        {
            wrong |= rel > 1e-3;
            Console.WriteLine($"{s}, {how}: max error {rel:E2} of the {what}'s scale{(rel > 1e-3 ? "  WRONG" : "")}");
        }
        foreach (var s in Shapes)
        {
            using var scope = NewDisposeScope();
            var x = randn(new long[] { 2, s.In, s.Side, s.Side }, generator: g);
            var w = randn(new long[] { s.Out, s.Depthwise ? 1 : s.In, s.Kernel, s.Kernel }, generator: g);
            var reference = InputGradient(s, x, w, ScalarType.Float64, channelsLast: false);
            foreach (var channelsLast in new[] { false, true })
            {
                string layout = channelsLast ? "channels-last" : "NCHW";
                set_num_threads(2);
                Report(s, $"{layout}, forward values", RelativeError(Output(s, x, w, ScalarType.Float32, channelsLast), Output(s, x, w, ScalarType.Float64, false)), "output");
                foreach (var threads in new[] { 1, 2 })
                {
                    set_num_threads(threads);
                    Report(s, $"{layout}, {threads} thread(s), 5 calls", Enumerable.Range(0, 5).Max(_ => RelativeError(InputGradient(s, x, w, ScalarType.Float32, channelsLast), reference)));
                }
                var errors = new System.Collections.Concurrent.ConcurrentBag<double>();
                Parallel.For(0, 16, _ => { using var inner = NewDisposeScope(); errors.Add(RelativeError(InputGradient(s, x, w, ScalarType.Float32, channelsLast), reference)); });
                Report(s, $"{layout}, 16 concurrent callers, 1 call each", errors.Max());
            }
        }
        Console.WriteLine(wrong ? "some convolution outputs or input gradients are WRONG on this machine" : "all convolution outputs and input gradients match float64");
        return wrong ? 1 : 0;
    }

    /// <summary>
    /// d(sum of the conv's output × a fixed pattern)/d(input) in <paramref name="dtype"/>, the input NCHW or channels-last,
    /// returned in float64.
    /// </summary>
    private static Tensor InputGradient(Shape s, Tensor x, Tensor w, ScalarType dtype, bool channelsLast)
    {
        var input = x.to(dtype).detach().clone().requires_grad_(true);
        var y = Convolve(s, input, w.to(dtype), channelsLast);
        var pattern = arange(y.numel(), dtype: dtype).reshape(y.shape).remainder(7) - 3; // not uniform: every tap of the kernel matters
        (y * pattern).sum().backward();
        return input.grad!.to(ScalarType.Float64);
    }

    /// <summary>The convolution's output in <paramref name="dtype"/>, the input NCHW or channels-last, returned in float64.</summary>
    private static Tensor Output(Shape s, Tensor x, Tensor w, ScalarType dtype, bool channelsLast)
    {
        using var _ = no_grad();
        return Convolve(s, x.to(dtype), w.to(dtype), channelsLast).to(ScalarType.Float64);
    }

    /// <summary>The shape's convolution of <paramref name="input"/>, fed NCHW or as a channels-last copy.</summary>
    private static Tensor Convolve(Shape s, Tensor input, Tensor w, bool channelsLast) =>
        nn.functional.conv2d(channelsLast ? Tvp.Models.ChannelsLastTensor.Of(input) : input, w,
            strides: new long[] { s.Stride, s.Stride }, padding: new long[] { s.Pad, s.Pad }, groups: s.Depthwise ? s.In : 1);

    private static double RelativeError(Tensor actual, Tensor reference) =>
        (actual - reference).abs().max().item<double>() / Math.Max(reference.abs().max().item<double>(), 1e-30);
}
