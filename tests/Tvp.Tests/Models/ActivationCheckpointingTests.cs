using Tvp.IO;
using Tvp.Models;
using Tvp.Models.Blip2;
using Tvp.Models.Llama;
using Tvp.Models.Llava;
using Tvp.Tests.Models.Llava;
using Tvp.Tests.Models.Llama;
using Tvp.Tests.IO.Tokenizers;
using Tvp.Tests.Data.Tasks;
using Tvp.Training;
using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Tests.Models;

/// <summary>
/// <c>--activation-checkpointing</c>: the language model's layers recomputed in backward give the same gradients
/// (to 1e-5) as the recorded graph, for the input and for every parameter that requires one; and the checkpointed
/// path really ran (its recomputation counter moved).
/// </summary>
public class ActivationCheckpointingTests
{
    private const double Tolerance = 1e-5;

    private static double MaxAbs(Tensor a, Tensor b) => LlamaGoldenTests.MaxAbs(a, b);

    /// <summary>Gradients of the embeddings and of every parameter of tiny-llama for an LM loss, with/without checkpointing.</summary>
    private static (Tensor Embeds, Dictionary<string, Tensor> Params) LlamaGradients(LlamaForCausalLM lm, Tensor ids, bool checkpointing)
    {
        using var ckpt = ActivationCheckpointing.Use(checkpointing);
        lm.zero_grad();
        var embeds = lm.Decoder.Embed(ids).detach().requires_grad_(true);                 // [N,T,D]
        var (hidden, _) = lm.Decoder.Forward(embeds);
        var logits = lm.Logits(hidden);                                                    // [N,T,V]
        long v = logits.shape[2];
        // next-token loss: positions 0..T-2 predict ids 1..T-1
        var loss = nn.functional.cross_entropy(logits[.., ..^1].reshape(-1, v), ids[.., 1..].reshape(-1));
        loss.backward();
        var grads = lm.named_parameters().Where(p => p.parameter.grad is not null)
            .ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        return (embeds.grad!.clone(), grads);
    }

    [SharedFact]
    public void Tiny_llama_gradients_are_the_same_with_checkpointed_layers()
    {
        using var scope = NewDisposeScope();
        using var lm = LlamaForCausalLM.Load(SharedData.Path("fixtures", "tiny-llama"));
        var exp = Checkpoint.Open(Path.Combine(SharedData.Path("fixtures", "tiny-llama"), "expected.safetensors"));
        var ids = exp.Read("input_ids");
        long before = ActivationCheckpointing.Recomputations;
        var plain = LlamaGradients(lm, ids, checkpointing: false);
        Assert.Equal(before, ActivationCheckpointing.Recomputations);
        var ckpt = LlamaGradients(lm, ids, checkpointing: true);
        Assert.Equal(lm.Config.NumLayers, ActivationCheckpointing.Recomputations - before);  // one recomputation per layer

        Assert.True(plain.Embeds.abs().max().item<float>() > 0, "the plain gradient is zero: nothing to compare");
        Assert.True(MaxAbs(plain.Embeds, ckpt.Embeds) < Tolerance, $"input gradient differs by {MaxAbs(plain.Embeds, ckpt.Embeds)}");
        Assert.NotEmpty(plain.Params);
        Assert.Equal(plain.Params.Keys.OrderBy(k => k), ckpt.Params.Keys.OrderBy(k => k));
        foreach (var (name, g) in plain.Params)
            Assert.True(MaxAbs(g, ckpt.Params[name]) < Tolerance, $"{name}: gradient differs by {MaxAbs(g, ckpt.Params[name])}");
    }

    /// <summary>The prompt's gradient for one TVP objective on tiny-llava: LM loss + FCA on the projector output.</summary>
    private static Tensor PromptGradient(LlavaPromptable m, bool checkpointing)
    {
        using var ckpt = ActivationCheckpointing.Use(checkpointing);
        int size = m.Info.InputSize ?? m.Net.Config.Vision.ImageSize;
        int vocab = m.Net.Config.Text.VocabSize, image = m.Net.Config.ImageTokenIndex;
        int Token(int i) => 3 + i % Math.Max(1, Math.Min(vocab, image) - 3);                // ordinary tokens, never the image token
        int[] prompt = [1, Token(10), image, Token(20), Token(30)];
        int[] answer = [Token(40), Token(50)];
        var canvas = rand(new long[] { 1, 3, size, size }, generator: new Generator(3));
        var delta = (0.1 * rand(new long[] { 1, 3, size, size }, generator: new Generator(4))).requires_grad_(true);
        Tensor clean;
        using (no_grad()) clean = m.ImageFeatures(canvas);
        var (_, visual) = m.EncodeImages(m.PixelValues(canvas + delta), null);             // [1,P,D]
        var loss = m.LanguageModelLoss(visual, [prompt], [answer]) + FeatureConsistency.Loss(visual.to(ScalarType.Float32), clean);
        loss.backward();
        return delta.grad!.clone();
    }

    [SharedFact]
    public void Tiny_llava_prompt_gradient_is_the_same_with_checkpointed_layers()
    {
        using var scope = NewDisposeScope();
        using var m = LlavaPromptable.Load(LlavaGoldenTests.Dir, CPU);
        long before = ActivationCheckpointing.Recomputations;
        var plain = PromptGradient(m, checkpointing: false);
        var ckpt = PromptGradient(m, checkpointing: true);
        Assert.Equal(m.Net.Config.Text.NumLayers, ActivationCheckpointing.Recomputations - before);
        Assert.True(plain.abs().max().item<float>() > 0, "the plain gradient is zero: nothing to compare");
        Assert.True(MaxAbs(plain, ckpt) < Tolerance, $"prompt gradient differs by {MaxAbs(plain, ckpt)}");
    }

    /// <summary>The prompt's gradient of task loss + FCA (one pass) on a BLIP-2 OPT model.</summary>
    private static Tensor TaskAndFcaPromptGradient(IPromptableModel m, bool checkpointing)
    {
        using var ckpt = ActivationCheckpointing.Use(checkpointing);
        int size = m.Info.InputSize ?? 32;
        var canvas = rand(new long[] { 2, 3, size, size }, generator: new Generator(3));
        var delta = (0.1 * rand(new long[] { 1, 3, size, size }, generator: new Generator(4))).requires_grad_(true);
        var batch = TaskBatch.Classification(["cat", "dog"], [0, 1]);
        Tensor clean;
        using (no_grad()) clean = m.ImageFeatures(canvas);
        var (loss, features) = m.TaskLossWithFeatures(canvas + delta, batch);
        (loss + FeatureConsistency.Loss(features, clean)).backward();
        return delta.grad!.clone();
    }

    [Fact]
    public void Blip2_opt_prompt_gradient_is_the_same_with_checkpointed_layers()
    {
        using var tmp = new TempDir();
        Blip2CheckpointWriter.WriteRandom(tmp.Path, Blip2CheckpointWriter.TinyConfig(Blip2Kind.Blip2, Blip2CheckpointWriter.TextKind.Opt, imageSize: 32),
            LlavaCheckpointWriter.BaseWords);
        using var scope = NewDisposeScope();
        using var m = ModelRegistry.Load(tmp.Path, CPU);
        long before = ActivationCheckpointing.Recomputations;
        var plain = TaskAndFcaPromptGradient(m, checkpointing: false);
        Assert.Equal(before, ActivationCheckpointing.Recomputations);
        var ckpt = TaskAndFcaPromptGradient(m, checkpointing: true);
        Assert.True(ActivationCheckpointing.Recomputations > before, "no OPT layer was recomputed");
        Assert.True(plain.abs().max().item<float>() > 0, "the plain gradient is zero: nothing to compare");
        Assert.True(MaxAbs(plain, ckpt) < Tolerance, $"prompt gradient differs by {MaxAbs(plain, ckpt)}");
    }
}
