using Onnx;
using static TorchSharp.torch;

namespace Tvp.Models.Onnx;

/// <summary>
/// Channels-last (NHWC) memory for inference through 2-D convolutions. TorchSharp has no memory_format argument, so
/// a tensor is made channels-last by <c>x.permute(0,2,3,1).contiguous().permute(0,3,1,2)</c>: the same NCHW shape
/// and values, NHWC strides. libtorch's oneDNN convolution runs channels-last when its weight is, with no
/// reorders of the activations (an NCHW convolution reorders its input and output to oneDNN's blocked layout on
/// every call), and returns a channels-last output; element-wise ops, ReLU and pooling keep that layout (max
/// pooling runs vectorised over channels instead of per plane), so activations stay NHWC through a conv net.
/// </summary>
/// <remarks>
/// Only where no backward pass will run: measured on a 2-core AMD EPYC VM with libtorch 2.10 (oneDNN 3.7.1),
/// oneDNN's brgemm-based kernels, which it picks for channels-last 1×1 convolutions and for channels-last
/// backward-data, gave wrong values (1×1 256→512 channels at 7×7: off by 30 on values of 70; backward-data of a
/// 3×3 96→24 conv: off by 16 on gradients of 70) and one case died with SIGFPE (1×1 512→1024, stride 2). The
/// direct channels-last forward kernel (jit:avx512_core) matched NCHW on every shape tried. So: weights of
/// group-1 k×k convolutions (k &gt; 1) get a channels-last copy at import, used when the input does not require
/// gradients and has at least <see cref="MinPixels"/> pixels; 1×1 convolutions on channels-last input run as one matrix product (BLAS, not brgemm);
/// grouped convolutions and everything that will be differentiated run in NCHW as before.
/// </remarks>
internal static class ChannelsLastLayout
{
    /// <summary>
    /// Smallest input height × width at which a k×k convolution runs channels-last. Measured on the 2-core EPYC at
    /// batch 16 (best of 7, in the quietest of three runs on the shared machine): 512→512 channels at 7×7 took 10.9 ms in NCHW against 14.0 ms
    /// channels-last; at 14×14 both took 9.6–9.7 ms; from 28×28 up channels-last was 10–35 % faster.
    /// </summary>
    public const long MinPixels = 14 * 14;

    /// <summary>True when a k×k convolution of <paramref name="x"/> should run channels-last (no gradient tracked, large enough).</summary>
    public static bool Pays(Tensor x) => !x.requires_grad && x.dim() == 4 && x.shape[2] * x.shape[3] >= MinPixels;

    /// <summary>
    /// Channels-last copies of the constant 4-D weights of group-1 2-D Conv nodes with a kernel larger than 1×1,
    /// by weight name (made once, at import). Weights some other kind of node also reads are skipped, and so are weights
    /// whose every reader is in <paramref name="otherwise"/> (nodes that run another way when no gradient is tracked).
    /// </summary>
    public static Dictionary<string, Tensor> ConvWeights(IReadOnlyList<NodeProto> nodes, IReadOnlyDictionary<string, Tensor> constants,
        Func<NodeProto, bool> otherwise)
    {
        var readers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var n in nodes)
            foreach (var i in n.Input)
                if (i.Length > 0) (readers.TryGetValue(i, out var l) ? l : readers[i] = new List<NodeProto>()).Add(n);
        var copies = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var _ = no_grad();
        foreach (var (name, users) in readers)
        {
            if (!constants.TryGetValue(name, out var w) || w.dim() != 4 || w.dtype != ScalarType.Float32) continue;
            if (w.shape[2] == 1 && w.shape[3] == 1) continue;
            if (!users.All(u => OnnxGraph.IsConv(u.OpType) && u.Input.Count > 1 && u.Input[1] == name && u.Input[0] != name
                                && (u.Attribute.FirstOrDefault(a => a.Name == "group")?.I ?? 1) == 1)) continue;
            if (users.All(otherwise)) continue;
            var nhwc = ChannelsLastTensor.Of(w);
            nhwc.requires_grad = false;
            copies[name] = nhwc.DetachFromDisposeScope();
        }
        return copies;
    }

    /// <summary>
    /// A 1×1, unpadded, group-1 convolution of channels-last <paramref name="x"/> [N, C, H, W] as one matrix
    /// product [N·H'·W', C] × [C, M] (+ bias), returned channels-last [N, M, H', W']. Strides subsample first.
    /// </summary>
    public static Tensor Pointwise(Tensor x, Tensor w, Tensor? bias, long[] strides)
    {
        long n = x.shape[0], c = x.shape[1], m = w.shape[0];
        using var rowsView = x.slice(2, 0, x.shape[2], strides[0]).slice(3, 0, x.shape[3], strides[1]); // [N, C, H', W']
        long h = rowsView.shape[2], wd = rowsView.shape[3];
        using var nhwc = rowsView.permute(0, 2, 3, 1);
        using var rows = nhwc.reshape(-1, c);                                   // [N·H'·W', C]
        using var weight = w.reshape(m, c);                                     // [M, C]
        using var wt = weight.t();                                              // [C, M]
        using var y = bias is null ? rows.mm(wt) : addmm(bias, rows, wt, 1f, 1f);       // [N·H'·W', M]
        using var yv = y.view(n, h, wd, m);                                     // [N, H', W', M]
        return yv.permute(0, 3, 1, 2);                                          // [N, M, H', W'] channels-last
    }
}
