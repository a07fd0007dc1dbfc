using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Classifiers;

/// <summary>
/// A 2-D convolution (optionally grouped / depthwise) whose zero padding follows a <see cref="PaddingRule"/>,
/// computed from the input's actual height and width on every forward, so the network also runs at sizes
/// other than its native one. State-dict names: <c>weight</c> [out, in/groups, k, k] and, with a bias, <c>bias</c> [out].
/// </summary>
internal sealed class PaddedConv2d : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private Parameter? bias;
    private readonly long _kernel, _stride, _groups;
    private readonly PaddingRule _rule;

    public PaddedConv2d(long inChannels, long outChannels, long kernel, long stride, PaddingRule rule,
        long groups = 1, bool hasBias = false) : base(nameof(PaddedConv2d))
    {
        _kernel = kernel; _stride = stride; _groups = groups; _rule = rule;
        weight = new Parameter(empty(outChannels, inChannels / groups, kernel, kernel));
        register_parameter("weight", weight);
        if (hasBias)
        {
            bias = new Parameter(zeros(outChannels));
            register_parameter("bias", bias);
        }
    }

    /// <summary>Weights [out, in/groups, k, k] (for exporters and benchmarks; the module owns them).</summary>
    internal Tensor Weight => weight;

    /// <summary>Bias [out], or null (for exporters and benchmarks; the module owns it).</summary>
    internal Tensor? Bias => bias;

    /// <summary>Stride (both axes).</summary>
    internal long Stride => _stride;

    /// <summary>How the zero padding is computed from the input size.</summary>
    internal PaddingRule Padding => _rule;

    /// <summary>Output channels.</summary>
    public long OutChannels => weight.shape[0];

    /// <summary>
    /// Folds a per-output-channel affine map y·scale + shift (an eval-mode BatchNorm after this convolution) into the
    /// weights and bias; the bias is created when the convolution had none.
    /// </summary>
    public void Absorb(Tensor scale, Tensor shift)
    {
        using var noGrad = no_grad();
        weight.mul_(scale.to(weight.dtype).view(-1, 1, 1, 1));
        if (bias is null)
        {
            bias = new Parameter(shift.to(weight.dtype).clone().DetachFromDisposeScope(), requires_grad: false);
            register_parameter("bias", bias);
        }
        else bias.mul_(scale.to(bias.dtype)).add_(shift.to(bias.dtype));
    }

    public override Tensor forward(Tensor x) => Forward(x, relu6: false);

    /// <summary>
    /// The convolution, followed by ReLU6 when <paramref name="relu6"/> is set. Without a graph the activation works in
    /// place on the convolution's fresh result (one output buffer and one memory pass saved). While a graph is recorded it
    /// runs out of place: libtorch's autograd kernel for an in-place ReLU6 (<c>hardtanh_</c>) first clones its input for
    /// the backward, so in place would cost a copy more, not a pass less (found with gdb on <c>direct_copy_kernel</c>:
    /// 35 clones per MobileNet-V2 training forward).
    /// </summary>
    public Tensor Forward(Tensor x, bool relu6)
    {
        Tensor Activated(Tensor y)
        {
            if (!relu6) return y;
            using (y) return nn.functional.relu6(y, inplace: !(is_grad_enabled() && y.requires_grad)); // in place: a new handle on the same storage
        }
        if (_kernel == 1 && _stride == 1 && _groups == 1)
        {
            // Pointwise convolution as one matrix product: libtorch's CPU conv path is several times slower for 1×1
            // kernels, and MobileNets spend most of their FLOPs here. Same numbers, same autograd.
            // (Channels-last oneDNN 1×1 convolutions would be faster still, but its brgemm kernels give wrong values
            // for some shapes on the build VM's CPU, e.g. 320→1280 at 7×7: see Onnx.ChannelsLastLayout.)
            long b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], o = weight.shape[0];
            using var w2 = weight.view(o, c);                                          // [O, C]
            if (ChannelsLastTensor.Is(x))
            {
                // Channels-last memory: [B·H·W, C] × [C, O] on the permuted view, output channels-last (no copies).
                using var rows = x.permute(0, 2, 3, 1).reshape(b * h * w, c);         // [B·H·W, C], a view
                using var wt = w2.t();                                                 // [C, O]
                // The bias is added in place after the product, not by addmm: addmm first copies the broadcast bias into
                // its output and then runs the product with β = 1, reading that output back. Measured on the 2-core EPYC,
                // batch 16, the two ways alternating in one process: MobileNet-V2's 16→96 expansion at 112×112 (77 MB
                // out) with ReLU6 5.7–6.7 → 4.4–5.3 ms; whole networks (medians of 20 rounds) V2 forward 61.5 → 57.1 ms,
                // forward+backward 152.6 → 146.7 ms, V1-0.75/192 32.6 → 31.5 and 82.7 → 80.9 ms.
                using var y = Activated(bias is null ? rows.matmul(wt) : rows.matmul(wt).add_(bias)); // [B·H·W, O]
                using var nhwc = y.view(b, h, w, o);                                   // [B, H, W, O]
                return nhwc.permute(0, 3, 1, 2);                                       // [B, O, H, W], channels-last strides
            }
            using var flat = x.reshape(b, c, h * w);                                   // [B, C, H·W]
            using var y0 = w2.matmul(flat);                                            // [B, O, H·W]
            if (bias is null && !relu6) return y0.view(b, o, h, w);                    // [B, O, H, W]
            using var y1 = Activated(bias is null ? y0.alias() : y0 + bias.view(1, o, 1)); // [B, O, H·W]; y0 is the product's fresh result
            return y1.view(b, o, h, w);                                                // [B, O, H, W]
        }
        var (top, bottom) = ConvPadding.Amounts(_rule, x.shape[2], _kernel, _stride);
        var (left, right) = ConvPadding.Amounts(_rule, x.shape[3], _kernel, _stride);
        if (top == bottom && left == right) // symmetric: the convolution pads itself, no copy
            return Activated(nn.functional.conv2d(x, weight, bias, strides: new[] { _stride, _stride }, padding: new[] { top, left }, groups: _groups));
        if (_groups > 1 && bottom == top + 1 && right == left + 1)
        {
            // TF "SAME" with an odd padding total (stride 2 on an even size) pads one more row/column after. For a depthwise
            // convolution the same output comes without copying the input into a padded tensor: a (k+1)×(k+1) kernel with
            // a zero first row and column and symmetric padding top+1 reads x[s·j + d − top] with weight w[d] exactly as
            // the padded k×k convolution does (same output size, bit-identical here). Measured on MobileNet-V2's four
            // stride-2 depthwise convolutions alone (batch 16, channels-last): forward 2× faster, backward ~5 %; on the
            // whole network 0–5 %, within this VM's noise. Not used for full convolutions, where the extra taps cost
            // more than the copy (MobileNet-V2's first convolution: forward 1.4×, backward 1.5× slower).
            using var shifted = nn.functional.pad(weight, new long[] { 1, 0, 1, 0 }); // [C, 1, k+1, k+1], zeros first
            return Activated(nn.functional.conv2d(x, shifted, bias, strides: new[] { _stride, _stride }, padding: new[] { top + 1, left + 1 }, groups: _groups));
        }
        using var padded = nn.functional.pad(x, new[] { left, right, top, bottom }); // [B, C, H+top+bottom, W+left+right]
        return Activated(nn.functional.conv2d(padded, weight, bias, strides: new[] { _stride, _stride }, groups: _groups));
    }
}
