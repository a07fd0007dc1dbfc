using Tvp.Experiments.Study;
using Tvp.Prompts;
using Tvp.Training;

namespace Tvp.Tests.Training;

/// <summary>
/// Typed options must write the same <c>options.json</c> and give the same study cell hashes as the string-typed
/// options they replaced: the literals below were written by the code before the change (commit 8e7f678), not by
/// the code under test.
/// </summary>
public class OptionsJsonCompatTests
{
    private const string Spec = """
        {"name": "compat", "data": "/nonexistent/compat-data",
         "sources": ["a"], "targets": ["b"],
         "label_map": ["frequency", "iterative", "maps/m.json"],
         "prompts": [{"name": "tvp", "fca": 0.05, "tse": 0, "fca_features": ["connector", "encoder"]}],
         "train": {"epochs": 1, "optimizer": "adam", "schedule": "constant", "prompt_shape": "fixed-patch", "canvas_size": 40, "image_size": 32, "prompt_size": 4},
         "seeds": [7]}
        """;

    /// <summary><c>new TvpOptions().ToJson()</c> before the change.</summary>
    internal const string DefaultJson = """
        {
          "data": "",
          "source": "",
          "targets": [],
          "label_map": "identity",
          "guide": null,
          "lr": 10,
          "fca": 0.005,
          "tse": 0.001,
          "fca_features": "connector",
          "optimizer": "normalized",
          "schedule": "cosine",
          "prompt_size": 30,
          "image_size": 164,
          "canvas_size": 224,
          "prompt_shape": "padding",
          "epochs": 10,
          "batch_size": 16,
          "eval_batch_size": 32,
          "shots": 0,
          "train_fraction": 0,
          "train_limit": 0,
          "test_limit": 0,
          "validation_fraction": 0.05,
          "validation_minimum": 200,
          "validate_every": 1000,
          "checkpoint_every": 100,
          "log_every": 10,
          "seed": 42,
          "device": "cpu",
          "corruption": null,
          "severity": 3,
          "on_nan": "Stop",
          "max_image_pixels": 64000000,
          "allow_truncated_images": false,
          "allow_outside_paths": false,
          "question": "This is a photo of a"
        }
        """;

    /// <summary>Options of job 3 of <see cref="Spec"/> (iterative, encoder) before the change.</summary>
    private const string CellJson = """
        {
          "data": "/nonexistent/compat-data",
          "source": "a",
          "targets": [
            "b"
          ],
          "label_map": "iterative",
          "guide": null,
          "lr": 10,
          "fca": 0.05,
          "tse": 0,
          "fca_features": "encoder",
          "optimizer": "adam",
          "schedule": "constant",
          "prompt_size": 4,
          "image_size": 32,
          "canvas_size": 40,
          "prompt_shape": "fixed-patch",
          "epochs": 1,
          "batch_size": 16,
          "eval_batch_size": 32,
          "shots": 0,
          "train_fraction": 0,
          "train_limit": 0,
          "test_limit": 0,
          "validation_fraction": 0.05,
          "validation_minimum": 200,
          "validate_every": 1000,
          "checkpoint_every": 2147483647,
          "log_every": 10,
          "seed": 7,
          "device": "cpu",
          "corruption": null,
          "severity": 3,
          "on_nan": "Stop",
          "max_image_pixels": 64000000,
          "allow_truncated_images": false,
          "allow_outside_paths": false,
          "question": "This is a photo of a"
        }
        """;

    /// <summary>The six job hashes of <see cref="Spec"/> before the change.</summary>
    private static readonly string[] Hashes = { "e7b4de5cdba95a96", "c8856d1a41f8619a", "1088a4401f6746f0", "70b6e6bb53e6c331", "e683275762b5d9b3", "452da9c1f7e075bb" };

    [Fact]
    public void Default_options_write_the_same_json()
    {
        Assert.Equal(DefaultJson, new TvpOptions().ToJson());
    }

    [Fact]
    public void A_study_cell_writes_the_same_json_and_every_cell_keeps_its_hash()
    {
        var jobs = StudyPlan.Expand(StudySpec.Parse(Spec, "compat.json"));
        Assert.Equal(CellJson, jobs[3].Options.ToJson());
        Assert.Equal(Hashes, jobs.Select(j => j.Hash));
    }

    [Fact]
    public void Options_written_before_read_back_typed_and_write_the_same()
    {
        var o = TvpOptions.FromJson(CellJson);
        Assert.Equal((LabelMapKind.Iterative, FcaSite.Encoder, PromptOptimizer.Adam, ScheduleKind.Constant, PromptShape.FixedPatch),
            (o.LabelMap.Kind, o.FcaFeatures, o.Optimizer, o.Schedule, o.PromptShape));
        Assert.Equal(CellJson, o.ToJson());
        var file = TvpOptions.FromJson(DefaultJson.Replace("\"label_map\": \"identity\"", "\"label_map\": \"maps/m.json\""));
        Assert.Equal(new LabelMapChoice(LabelMapKind.File, "maps/m.json"), file.LabelMap);
        Assert.Contains("\"label_map\": \"maps/m.json\"", file.ToJson());
    }

    [Theory]
    [InlineData("\"optimizer\": \"normalized\"", "\"optimizer\": \"rmsprop\"", "must be normalized, sgd or adam, got 'rmsprop'")]
    [InlineData("\"fca_features\": \"connector\"", "\"fca_features\": \"both\"", "must be connector or encoder, got 'both'")]
    [InlineData("\"schedule\": \"cosine\"", "\"schedule\": \"step\"", "must be cosine or constant, got 'step'")]
    public void An_unknown_choice_in_options_json_is_a_one_line_error(string from, string to, string message)
    {
        var e = Assert.ThrowsAny<Exception>(() => TvpOptions.FromJson(DefaultJson.Replace(from, to)));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Augmentation_is_written_only_when_it_is_not_the_papers()
    {
        Assert.DoesNotContain("augmentation", new TvpOptions().ToJson());
        var none = new TvpOptions { Augmentation = Augmentation.None };
        Assert.Contains("\"augmentation\": \"none\"", none.ToJson());
        Assert.Equal(Augmentation.None, TvpOptions.FromJson(none.ToJson()).Augmentation);
        var e = Assert.ThrowsAny<Exception>(() => TvpOptions.FromJson(none.ToJson().Replace("\"none\"", "\"mixup\"")));
        Assert.Contains("must be crop-flip, flip or none, got 'mixup'", e.Message);
    }
}
