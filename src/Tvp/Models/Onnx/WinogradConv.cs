using Onnx;
using static TorchSharp.torch;

namespace Tvp.Models.Onnx;

/// <summary>
/// Winograd F(2×2, 3×3) for the wide 3×3 convolutions of inference (Lavin &amp; Gray 2016): every 2×2 block of outputs
/// comes from a 4×4 input tile as 16 channel-mixing products instead of 36, so a 3×3, stride-1, pad-1, group-1 convolution
/// becomes 16 batched matrix products [tiles, C] × [C, O] (MKL) between two small add/subtract transforms. The weights'
/// transform U = G g Gᵀ is made once, at import.
/// </summary>
/// <remarks>
/// Written here because neither libtorch (its NNPACK Winograd path does not initialise on this CPU) nor oneDNN as libtorch
/// calls it offers one. Measured on the 2-core AMD EPYC VM (batch 16, channels-last input, the candidates called in turn
/// 22 times, median per-call ratio to oneDNN's channels-last convolution, idle): 512→512 channels at 7×7 0.63 (8.7 ms;
/// oneDNN NCHW 0.88), 256→256 at 14×14 0.73 (7.4 ms), 128→128 at 28×28 0.79 (9.6 ms), 64→64 at 56×56 1.41 (the transforms'
/// memory passes cost more than the saved products). Hence <see cref="Pays(long, long)"/>: C·O ≥ 64·(C+O), i.e. both widths
/// ≥ 128 when equal. Against float64 the outputs are closer than oneDNN's direct convolution (max error 9E-6 vs 4.5E-5 at
/// 512 channels).
/// Only where no gradient is tracked: the differentiated path keeps oneDNN's convolution, whose backward is one kernel.
/// Costs memory: the transformed weights take 16/9 of each selected weight's size, kept next to the original.
/// </remarks>
internal static class WinogradConv
{
    /// <summary>Weight transform G (4×3) of F(2, 3); the input and output transforms are written out in <see cref="Forward"/>.</summary>
    private static readonly float[,] G = { { 1, 0, 0 }, { 0.5f, 0.5f, 0.5f }, { 0.5f, -0.5f, 0.5f }, { 0, 0, 1 } };

    /// <summary>Aᵀ ⊗ Aᵀ [4, 16] with Aᵀ = [[1,1,1,0],[0,1,-1,-1]]: row a·2+b, column i·4+j holds Aᵀ[a,i]·Aᵀ[b,j].</summary>
    private static Tensor OutputTransform(Device device)
    {
        float[,] at = { { 1, 1, 1, 0 }, { 0, 1, -1, -1 } };
        var values = new float[4 * 16];
        for (int a = 0; a < 2; a++) for (int b = 0; b < 2; b++) for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++)
            values[(a * 2 + b) * 16 + i * 4 + j] = at[a, i] * at[b, j];
        return tensor(values, new long[] { 4, 16 }, device: device);
    }

    /// <summary>True when the transforms pay for a convolution of <paramref name="inChannels"/> → <paramref name="outChannels"/>.</summary>
    public static bool Pays(long inChannels, long outChannels) => inChannels * outChannels >= 64 * (inChannels + outChannels);

    /// <summary>True when <paramref name="x"/> may take the Winograd path (no gradient tracked, float32, [N, C, H, W]).</summary>
    public static bool Applies(Tensor x) => !x.requires_grad && x.dim() == 4 && x.dtype == ScalarType.Float32;

    /// <summary>
    /// Transformed weights [16, C, O] by node (its first output's name) for the Conv nodes that qualify: 3×3 kernel,
    /// stride 1, dilation 1, group 1, one pixel of zero padding on every side, a constant float32 weight wide enough to
    /// pay (<see cref="Pays(long, long)"/>). Made once, at import.
    /// </summary>
    public static Dictionary<string, Tensor> Weights(IReadOnlyList<NodeProto> nodes, IReadOnlyDictionary<string, Tensor> constants)
    {
        var transformed = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var _ = no_grad();
        try
        {
            foreach (var n in nodes)
            {
                if (!OnnxGraph.IsConv(n.OpType) || n.Input.Count < 2 || n.Output.Count < 1 || n.Output[0].Length == 0) continue;
                if (!constants.TryGetValue(n.Input[1], out var w) || w.dtype != ScalarType.Float32 || w.dim() != 4) continue;
                if (w.shape[2] != 3 || w.shape[3] != 3 || !Pays(w.shape[1], w.shape[0]) || !Qualifies(n)) continue;
                transformed[n.Output[0]] = Transform(w).DetachFromDisposeScope();
            }
            return transformed;
        }
        catch
        {
            foreach (var t in transformed.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>The node's attributes describe a 3×3, stride-1, dilation-1, group-1 convolution padded by 1 all round.</summary>
    private static bool Qualifies(NodeProto n)
    {
        AttributeProto? Attr(string name) => n.Attribute.FirstOrDefault(a => a.Name == name);
        static bool All(AttributeProto? a, long value, int count) => a is null || (a.Ints.Count == count && a.Ints.All(v => v == value));
        if ((Attr("group")?.I ?? 1) != 1) return false;
        if (Attr("kernel_shape") is { } k && !(k.Ints.Count == 2 && k.Ints.All(v => v == 3))) return false;
        if (!All(Attr("strides"), 1, 2) || !All(Attr("dilations"), 1, 2)) return false;
        var autoPad = Attr("auto_pad")?.S.ToStringUtf8() ?? "NOTSET";
        return autoPad switch
        {
            "NOTSET" => Attr("pads") is { } p && p.Ints.Count == 4 && p.Ints.All(v => v == 1),
            "SAME_UPPER" or "SAME_LOWER" => true, // 3×3 at stride 1: one pixel each side
            _ => false,
        };
    }

    /// <summary>U = G g Gᵀ per (output, input) channel pair, laid out [16 (ξ·4+ν), C, O] for the batched product.</summary>
    internal static Tensor Transform(Tensor weight)
    {
        using var scope = NewDisposeScope();
        long o = weight.shape[0], c = weight.shape[1];
        var g = tensor(G.Cast<float>().ToArray(), new long[] { 4, 3 }, device: weight.device); // [4, 3]
        var u = einsum("ik,ockl,jl->ijco", g, weight, g);                                       // [4, 4, C, O]
        return u.reshape(16, c, o).contiguous().MoveToOuterDisposeScope();                     // [16, C, O]
    }

    /// <summary>
    /// The convolution of <paramref name="x"/> [N, C, H, W] (any layout; channels-last is read without a reorder) with
    /// transformed weights <paramref name="u"/> [16, C, O] (the caller checks C) and an optional bias [O]. Returns [N, O, H, W]
    /// channels-last.
    /// </summary>
    public static Tensor Forward(Tensor x, Tensor u, Tensor? bias)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], o = u.shape[2];
        long th = (h + 1) / 2, tw = (w + 1) / 2, tiles = n * th * tw;                  // 2×2 output blocks
        var nhwc = x.permute(0, 2, 3, 1);                                               // [N, H, W, C]
        var xp = nn.functional.pad(nhwc, new long[] { 0, 0, 1, 2 * tw + 1 - w, 1, 2 * th + 1 - h }); // [N, 2th+2, 2tw+2, C]

        // Input transform V = Bᵀ d B on every 4×4 tile d (tiles overlap by 2): rows first on the padded image, then
        // columns. Bᵀ = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]]; each row of Bᵀ is one add or subtract.
        static Tensor[] Bt(Func<int, Tensor> d) => new[] { d(0) - d(2), d(1) + d(2), d(2) - d(1), d(1) - d(3) };
        Tensor Rows(Tensor t, int k) => t.slice(1, k, k + 2 * th - 1, 2);             // rows 2·ti + k
        Tensor Cols(Tensor t, int l) => t.slice(2, l, l + 2 * tw - 1, 2);             // columns 2·tj + l
        var rowPass = Bt(k => Rows(xp, k));                                              // 4 × [N, th, 2tw+2, C]
        var v = rowPass.SelectMany(r => Bt(l => Cols(r, l))).ToArray();                 // 16 × [N, th, tw, C], dense
        var m = empty(new long[] { 16, tiles, o }, dtype: x.dtype, device: x.device);    // [16, T, O]
        for (int k = 0; k < 16; k++) m[k].addmm_(v[k].view(tiles, c), u[k], 0f, 1f);  // one product per tile position, written in place
        if (bias is not null) m[5].add_(bias); // Aᵀ's second column is all ones: M[1,1] reaches every output once

        // Output transform Y = Aᵀ M A for all tiles at once, as one memory-bound product (Aᵀ⊗Aᵀ) [4, 16] × M [16, T·O].
        var outputTransform = OutputTransform(x.device);                                 // [4, 16]
        var y4 = outputTransform.mm(m.view(16, tiles * o));                              // [4 (a·2+b), T·O]
        var y = y4.view(2, 2, n, th, tw, o).permute(2, 3, 0, 4, 1, 5).reshape(n, 2 * th, 2 * tw, o); // [N, 2th, 2tw, O]: row 2ti+a, column 2tj+b
        if (2 * th != h || 2 * tw != w) y = y.slice(1, 0, h, 1).slice(2, 0, w, 1);     // [N, H, W, O]
        y = y.reshape(n * h * w, o).contiguous().view(n, h, w, o); // dense NHWC also when size-1 dims would keep odd strides
        return y.permute(0, 3, 1, 2).MoveToOuterDisposeScope();                         // [N, O, H, W], channels-last strides
    }
}
