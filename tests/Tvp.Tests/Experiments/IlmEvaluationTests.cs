using Tvp.Evaluation;
using Tvp.Experiments;
using Tvp.Models;
using Tvp.Prompts;
using Tvp.Training;
using Tvp.Tests.Training;

namespace Tvp.Tests.Experiments;

/// <summary>How ILM evaluates a trained prompt: the source keeps its last training mapping (ILM-VP), others get the prompted FLM.</summary>
public class IlmEvaluationTests
{
    private static readonly TvpOptions Options = new()
    {
        CanvasSize = 16, ImageSize = 8, PromptSize = 4, BatchSize = 8, EvalBatchSize = 16, Epochs = 3,
        Lr = 3, ValidateEvery = 1000, CheckpointEvery = 1000, LogEvery = 1000, Seed = 11,
    };

    /// <summary>Passes the trainer's epoch starts to the ILM hook and records the state it held last.</summary>
    private sealed class Recorder(IEpochStartHook inner) : IEpochStartHook
    {
        public string? Last { get; private set; }
        public int Epochs { get; private set; }
        public string OnEpochStart(int epoch, VisualPrompt prompt, CancellationToken cancel) { Epochs++; return Last = inner.OnEpochStart(epoch, prompt, cancel); }
        public void Restore(string state) { inner.Restore(state); Last = state; }
    }

    private static void Paint(VisualPrompt prompt, int channel, float value)
    {
        using var v = TorchSharp.torch.zeros(3, 16, 16);
        v[channel].fill_(value);
        prompt.SetValues(v);
    }

    private static string Labels(LabelMapping? m) => m is null ? "null" : string.Join(",", m.ModelLabels);

    [Fact]
    public void Source_keeps_the_mapping_of_its_last_training_epoch_and_targets_get_the_prompted_FLM()
    {
        var data = new ToyTask(40, seed: 5);
        var batches = new CanvasBatches(data, new CanvasPipeline(16, 8));
        var idx = Enumerable.Range(0, 40).ToArray();
        using var source = new ToyClassifier(seed: 2);
        using var target = new ToyClassifier(seed: 9);
        source.Mapping = LabelMapper.Frequency(source, data.Classes, batches, idx, 8);
        target.Mapping = LabelMapper.Frequency(target, data.Classes, batches, idx, 8);
        var (sourceUnprompted, targetUnprompted) = (Labels(source.Mapping), Labels(target.Mapping));
        var ilm = new IterativeLabelMapping(source, data.Classes, batches, idx, 8);
        using var prompt = new VisualPrompt(PromptShape.Padding, 16, 4);

        // "Training": the last epoch starts with a red border; the prompt then moves on to a blue one before evaluation.
        Paint(prompt, 0, 2f);
        var lastEpoch = ilm.OnEpochStart(1, prompt, default);
        ilm.RestoreUnprompted();
        Paint(prompt, 2, -2f);
        var sourceFlmNow = Labels(LabelMapper.Frequency(source, data.Classes, batches, idx, 8, prompt: prompt));
        var targetFlmNow = Labels(LabelMapper.Frequency(target, data.Classes, batches, idx, 8, prompt: prompt));
        Assert.NotEqual(lastEpoch, sourceFlmNow); // otherwise the test could not tell the two rules apart

        var maps = IterativeLabelMapping.MapForPrompt(new IPromptableModel[] { source, target }, data.Classes, batches, idx, 8, prompt, default, ilm);
        Assert.Equal(lastEpoch, Labels(source.Mapping));
        Assert.Equal(targetFlmNow, Labels(target.Mapping));
        maps.UseUnprompted();
        Assert.Equal(sourceUnprompted, Labels(source.Mapping));
        Assert.Equal(targetUnprompted, Labels(target.Mapping));
        maps.UsePrompted();
        Assert.Equal(lastEpoch, Labels(source.Mapping));

        // Without the hook (a prompt loaded from a file) every classifier gets the prompted FLM.
        maps.UseUnprompted();
        IterativeLabelMapping.MapForPrompt(new IPromptableModel[] { source }, data.Classes, batches, idx, 8, prompt, default);
        Assert.Equal(sourceFlmNow, Labels(source.Mapping));
    }

    [Fact]
    public void After_training_the_source_is_evaluated_with_the_mapping_the_hook_held_after_the_last_epoch()
    {
        var data = new ToyTask(40, seed: 3);
        var batches = new CanvasBatches(data, new CanvasPipeline(16, 8));
        var train = Enumerable.Range(0, 32).ToArray();
        using var source = new ToyClassifier(seed: 4);
        source.Mapping = LabelMapper.Frequency(source, data.Classes, batches, train, 8);
        var unprompted = Labels(source.Mapping);
        var ilm = new IterativeLabelMapping(source, data.Classes, batches, train, 8);
        var recorder = new Recorder(ilm);
        using var prompt = new VisualPrompt(PromptShape.Padding, 16, 4);
        new PromptTrainer(source, Options.Trainer, epochStart: recorder).Train(prompt, batches, train, Array.Empty<int>());
        Assert.Equal(Options.Epochs, recorder.Epochs);
        ilm.RestoreUnprompted();
        Assert.Equal(unprompted, Labels(source.Mapping));

        var maps = IterativeLabelMapping.MapForPrompt(new IPromptableModel[] { source }, data.Classes, batches, train, 8, prompt, default, ilm);
        Assert.Equal(recorder.Last, Labels(source.Mapping));
        Assert.Equal(recorder.Last, Labels(ilm.Trained));
        maps.UseUnprompted();
        Assert.Equal(unprompted, Labels(source.Mapping));
    }
}
