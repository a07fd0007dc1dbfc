using Tvp.IO;
using Tvp.Models;
using Tvp.Models.Blip2;
using Tvp.Models.Llama;
using Tvp.Models.MiniGpt4;
using Tvp.Models.Multimodal;
using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Multimodal;

/// <summary>The MiniGPT-4 folder layout against the same parts composed by hand.</summary>
public sealed class MiniGpt4Tests : IDisposable
{
    private readonly TempDir _tmp = new();
    private readonly string _dir;

    public MiniGpt4Tests()
    {
        _dir = Path.Combine(_tmp.Path, "minigpt4");
        MiniGpt4CheckpointWriter.WriteRandom(_dir, new[] { "cat", "dog" }, seed: 4, visionSeed: 9);
    }

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void Layout_logits_equal_blip2_front_end_llama_proj_and_llama_composed_by_hand()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var m = (MiniGpt4Promptable)ModelRegistry.Load(_dir, CPU);
        var pixels = randn(new long[] { 2, 3, 32, 32 }, generator: new Generator(3));
        var prompt = m.PromptEncoder.EncodePrompt("what is it?");
        var (_, visual) = m.EncodeImages(pixels, null);
        var merged = m.Merge(new[] { prompt, prompt }, visual, leftPad: false);
        var lm = (ICausalLanguageModel)m.LanguageModel;
        var logits = lm.Logits(lm.Forward(merged.Embeds, merged.Mask).Hidden);

        // By hand: BLIP-2 vision + Q-Former from blip2/, llama_proj from its file, LLaMA from llama/.
        using var blip2 = Blip2ForConditionalGeneration.Load(Path.Combine(_dir, "blip2"));
        using var llama = LlamaForCausalLM.Load(Path.Combine(_dir, "llama"));
        var proj = Checkpoint.Open(Path.Combine(_dir, "llama_proj.safetensors"));
        var q = blip2.QFormerOutput(blip2.VisionModel.forward(pixels));                               // [2, Q, Dq]
        var byHand = nn.functional.linear(q, proj.ReadFloat("llama_proj.weight"), proj.ReadFloat("llama_proj.bias")); // [2, Q, D]
        int at = Array.IndexOf(prompt, MiniGpt4ForConditionalGeneration.ImageSlot);
        var before = tensor(prompt[..at].Select(v => (long)v).ToArray()).unsqueeze(0).expand(2, -1);
        var after = tensor(prompt[(at + 1)..].Select(v => (long)v).ToArray()).unsqueeze(0).expand(2, -1);
        var embeds = cat(new[] { llama.Decoder.Embed(before), byHand, llama.Decoder.Embed(after) }, 1);
        var (h, _) = llama.Decoder.Forward(embeds);
        var expected = llama.Logits(h);
        Assert.Equal(expected.shape, logits.shape);
        double diff = (logits - expected).abs().max().item<float>();
        Assert.True(diff < 1e-5, $"layout and hand composition differ by {diff}");
        Assert.True(prompt[0] == 1, "BOS first in the MiniGPT-4 template");
    }

    [Fact]
    public void Gradient_reaches_the_prompt_and_a_missing_part_is_named()
    {
        using var scope = NewDisposeScope();
        using (var m = MiniGpt4Promptable.Load(_dir, CPU))
        {
            var delta = zeros(new long[] { 1, 3, 40, 40 }, requires_grad: true);
            var pixels = rand(new long[] { 2, 3, 40, 40 }, generator: new Generator(1)) + delta;
            var (loss, features) = m.TaskLossWithFeatures(pixels, TaskBatch.Classification(new[] { "cat", "dog" }, new[] { 0, 1 }));
            Assert.Equal(4, features.shape[1]);
            loss.backward();
            Assert.True(delta.grad!.abs().sum().item<float>() > 0);
        }
        File.Delete(Path.Combine(_dir, "llama_proj.safetensors"));
        var e = Assert.Throws<FileNotFoundException>(() => MiniGpt4Promptable.Load(_dir, CPU));
        Assert.Contains("llama_proj.safetensors", e.Message);
    }
}
