using Tvp.Evaluation;
using Tvp.Experiments;
using Tvp.Prompts;
using Tvp.Training;

namespace Tvp.Tests.Training;

public class EpochStartHookTests
{
    private static readonly TvpOptions Options = new()
    {
        CanvasSize = 16, ImageSize = 8, PromptSize = 4, BatchSize = 8, EvalBatchSize = 16, Epochs = 3,
        Lr = 3, ValidateEvery = 1000, CheckpointEvery = 1, LogEvery = 1, Seed = 7,
    };

    private sealed class CountingHook : IEpochStartHook
    {
        public List<int> Epochs { get; } = new();
        public List<string> Restored { get; } = new();
        public string OnEpochStart(int epoch, VisualPrompt prompt, CancellationToken cancel) { Epochs.Add(epoch); return $"state-{epoch}"; }
        public void Restore(string state) => Restored.Add(state);
    }

    [Fact]
    public void Hook_runs_at_every_epoch_start_and_its_state_survives_a_resume()
    {
        using var dir = new TempDir();
        var data = new ToyTask(40, seed: 3);
        var batches = new CanvasBatches(data, new CanvasPipeline(16, 8));
        var train = Enumerable.Range(0, 32).ToArray(); // 4 steps per epoch
        var ck = dir.File("checkpoint.safetensors");
        var hook = new CountingHook();
        using (var model = new ToyClassifier())
        using (var prompt = new VisualPrompt(PromptShape.Padding, 16, 4))
        {
            using var cts = new CancellationTokenSource();
            var obs = new StopAt(6, cts); // stops during epoch 2 (steps 5..8): a final checkpoint at step 6
            Assert.Throws<TrainingInterruptedException>(() =>
                new PromptTrainer(model, Options.Trainer, observer: obs, epochStart: hook).Train(prompt, batches, train, Array.Empty<int>(), ck, null, false, cts.Token));
        }
        Assert.Equal(new[] { 0, 1 }, hook.Epochs);
        Assert.Equal("state-1", new Tvp.IO.SafeTensorFile(ck).Metadata["epoch_hook"]);

        var resumed = new CountingHook();
        using (var model = new ToyClassifier())
        using (var prompt = new VisualPrompt(PromptShape.Padding, 16, 4))
            new PromptTrainer(model, Options.Trainer, epochStart: resumed).Train(prompt, batches, train, Array.Empty<int>(), ck, null, true);
        Assert.Equal(new[] { "state-1" }, resumed.Restored); // epoch 2 continues with its own state...
        Assert.Equal(new[] { 2 }, resumed.Epochs);           // ...and only epoch 3 recomputes it
    }

    [Fact]
    public void Iterative_label_mapping_recomputes_the_mapping_on_prompted_images()
    {
        var data = new ToyTask(30, seed: 5);
        var batches = new CanvasBatches(data, new CanvasPipeline(16, 8));
        using var model = new ToyClassifier(seed: 2);
        var idx = Enumerable.Range(0, 30).ToArray();
        model.Mapping = LabelMapper.Frequency(model, data.Classes, batches, idx, 8);
        var unprompted = model.Mapping.ModelLabels.ToArray();
        var ilm = new IterativeLabelMapping(model, data.Classes, batches, idx, 8);
        using var prompt = new VisualPrompt(PromptShape.Padding, 16, 4);

        Assert.Equal(string.Join(",", unprompted), ilm.OnEpochStart(0, prompt, default)); // epoch 0: prompt is zero, FLM kept
        Assert.Equal("frequency", model.Mapping.Kind);

        // A prompt that paints the border bright red changes what the model sees; the mapping must be recomputed from
        // the prompted predictions, i.e. equal FLM computed directly on prompted canvases.
        using (var v = TorchSharp.torch.zeros(3, 16, 16)) { v[0].fill_(2f); prompt.SetValues(v); }
        var state = ilm.OnEpochStart(1, prompt, default);
        Assert.Equal("iterative", model.Mapping.Kind);
        var direct = LabelMapper.Frequency(model, data.Classes, batches, idx, 8, prompt: prompt);
        Assert.Equal(direct.ModelLabels, model.Mapping.ModelLabels);
        Assert.Equal(string.Join(",", direct.ModelLabels), state);

        ilm.Restore(string.Join(",", unprompted));
        Assert.Equal(unprompted, model.Mapping.ModelLabels);
    }

    private sealed class StopAt(long step, CancellationTokenSource cts) : ITrainingObserver
    {
        public void OnStep(TrainingStep s) { if (s.Step == step) cts.Cancel(); }
        public void OnValidation(long s, double top1, bool improved) { }
        public void OnMessage(string message) { }
    }
}
