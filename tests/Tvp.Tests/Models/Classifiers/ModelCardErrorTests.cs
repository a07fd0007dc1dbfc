using System.Text.Json.Nodes;
using Tvp.IO;
using Tvp.Models.Classifiers;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Classifiers;

/// <summary>Bad cards and bad weights fail with messages that name the card, file and tensor.</summary>
public sealed class ModelCardErrorTests
{
    private static JsonObject CardJson(string name) =>
        JsonNode.Parse(File.ReadAllText(SharedData.Path("models", name + ".json")))!.AsObject();

    /// <summary>The card without weights.bytes/sha256, so edited weights get as far as the tensor checks.</summary>
    private static JsonObject Unpinned(JsonObject card)
    {
        var w = card["weights"]!.AsObject();
        w.Remove("bytes");
        w.Remove("sha256");
        return card;
    }

    [SharedFact]
    public void ReadsTheResNetCard()
    {
        var card = ModelCard.Read(SharedData.Path("models", "cifar10-resnet20.json"));
        var spec = Assert.IsType<CifarResNetSpec>(card.Architecture);
        Assert.Equal((20, 3), (spec.Depth, spec.BlocksPerStage));
        Assert.Equal(new[] { 16, 32, 64 }, spec.StageChannels);
        Assert.Equal(new[] { 1, 2, 2 }, spec.StageStrides);
        Assert.Equal(32, card.InputSize);
        Assert.Equal(new[] { 0.485f, 0.456f, 0.406f }, card.Mean);
        Assert.Equal(new[] { 0.229f, 0.224f, 0.225f }, card.Std);
        Assert.Equal(PaddingRule.Symmetric, card.Padding);
        Assert.Equal(File.ReadAllLines(SharedData.Path("data", "cifar10", "classes.txt")).Where(l => l.Length > 0), card.Labels);
        Assert.Equal(81.03, card.Checks.MeasuredTestTop1Percent);
        Assert.EndsWith("cifar10-resnet20.safetensors", card.WeightsPath);
    }

    [SharedFact]
    public void ReadsTheMobileNetCards()
    {
        var v2 = ModelCard.Read(SharedData.Path("models", "mobilenet_v2_1.0_224.json"));
        var spec = Assert.IsType<MobileNetV2Spec>(v2.Architecture);
        Assert.Equal(7, spec.InvertedResidualSetting.Count);
        Assert.Equal((6, 24, 2, 2), spec.InvertedResidualSetting[1]);
        Assert.Equal(PaddingRule.TfSame, v2.Padding);
        Assert.Equal(1001, v2.Labels.Count);
        Assert.Equal("background", v2.Labels[0]);
        Assert.Equal(new[] { 0.5f, 0.5f, 0.5f }, v2.Std);
        var v1 = ModelCard.Read(SharedData.Path("models", "mobilenet_v1_0.25_128.json"));
        Assert.Equal(0.25, Assert.IsType<MobileNetV1Spec>(v1.Architecture).WidthMultiplier);
        Assert.Equal(128, v1.InputSize);
        var cat = v1.Checks.SampleTop5["cat.bmp"];
        Assert.Equal(new ExpectedPrediction(286, "Egyptian cat", 0.278), cat[0]);
        Assert.Equal(8, v1.Checks.SampleTop5.Count);
    }

    [SharedFact]
    public void CardNamingMissingWeightsNamesCardAndFile()
    {
        using var dir = new TempDir();
        var card = dir.File("resnet-copy.json");
        File.WriteAllText(card, CardJson("cifar10-resnet20").ToJsonString());
        var e = Assert.Throws<FileNotFoundException>(() => ClassifierPromptable.Load(card));
        Assert.Contains(card, e.Message);
        Assert.Contains("cifar10-resnet20.safetensors", e.Message);
    }

    [SharedFact]
    public void WeightsWithOneWrongShapeNameTheFileAndTensor()
    {
        using var dir = new TempDir();
        var source = new SafeTensorFile(SharedData.Path("models", "cifar10-resnet20.safetensors"));
        var tensors = source.Entries.Keys.ToDictionary(k => k, k => source.Read(k));
        tensors["layer2.1.conv2.weight"] = zeros(32, 32, 3, 2);
        var weights = dir.File("cifar10-resnet20.safetensors");
        SafeTensorFile.Write(weights, tensors);
        var card = dir.File("cifar10-resnet20.json");
        File.WriteAllText(card, Unpinned(CardJson("cifar10-resnet20")).ToJsonString());

        var e = Assert.Throws<InvalidDataException>(() => ClassifierPromptable.Load(card));
        Assert.Contains(weights, e.Message);
        Assert.Contains("'layer2.1.conv2.weight' has shape [32,32,3,2], expected [32,32,3,3]", e.Message);
        Assert.DoesNotContain("layer2.1.conv1.weight", e.Message);
    }

    [SharedFact]
    public void MissingAndMisshapenTensorsAreReportedTogether()
    {
        using var dir = new TempDir();
        var source = new SafeTensorFile(SharedData.Path("models", "cifar10-resnet20.safetensors"));
        var tensors = source.Entries.Keys.Where(k => k != "bn1.running_var").ToDictionary(k => k, k => source.Read(k));
        tensors["linear.weight"] = zeros(10, 63);
        SafeTensorFile.Write(dir.File("cifar10-resnet20.safetensors"), tensors);
        var card = dir.File("cifar10-resnet20.json");
        File.WriteAllText(card, Unpinned(CardJson("cifar10-resnet20")).ToJsonString());

        var e = Assert.Throws<InvalidDataException>(() => ClassifierPromptable.Load(card));
        Assert.Contains("missing tensor 'bn1.running_var'", e.Message);
        Assert.Contains("'linear.weight' has shape [10,63], expected [10,64]", e.Message);
    }

    [SharedFact]
    public void UnknownArchitectureNamesTheCard()
    {
        using var dir = new TempDir();
        var json = CardJson("cifar10-resnet20");
        json["family"] = "VGG-16 for CIFAR-10";
        var card = dir.File("vgg.json");
        File.WriteAllText(card, json.ToJsonString());
        File.Copy(SharedData.Path("models", "cifar10-resnet20.safetensors"), dir.File("cifar10-resnet20.safetensors"));

        var e = Assert.Throws<InvalidDataException>(() => ClassifierPromptable.Load(card));
        Assert.Contains(card, e.Message);
        Assert.Contains("unknown architecture", e.Message);
        Assert.Contains("VGG-16", e.Message);
        Assert.False(new ClassifierFamily().CanLoad(card));
    }

    [Fact]
    public void MalformedJsonNamesTheCard()
    {
        using var dir = new TempDir();
        var card = dir.File("broken.json");
        File.WriteAllText(card, "{ \"family\": \"MobileNetV1\", \"architecture\": { ");
        var e = Assert.Throws<InvalidDataException>(() => ModelCard.Read(card));
        Assert.Contains(card, e.Message);
        Assert.Contains("malformed JSON", e.Message);
        Assert.False(new ClassifierFamily().CanLoad(card));
    }

    [SharedFact]
    public void MissingFieldNamesTheCardAndField()
    {
        using var dir = new TempDir();
        var json = CardJson("mobilenet_v1_0.25_128");
        json["architecture"]!.AsObject().Remove("width_multiplier");
        var card = dir.File("v1.json");
        File.WriteAllText(card, json.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => ModelCard.Read(card));
        Assert.Contains(card, e.Message);
        Assert.Contains("'width_multiplier'", e.Message);
    }

    [SharedFact]
    public void FamilyDiscoversEveryCardInSharedModels()
    {
        var family = new ClassifierFamily();
        var entries = family.Discover(SharedData.Path("models")).ToDictionary(e => e.Name);
        Assert.Equal(new[] { "cifar10-resnet20", "cifar10-resnet32", "cifar10-resnet44", "cifar10-resnet56",
            "mobilenet_v1_0.25_128", "mobilenet_v1_0.5_160", "mobilenet_v1_0.75_192", "mobilenet_v2_1.0_224" }, entries.Keys.Order());
        Assert.All(entries.Values, e => Assert.True(family.CanLoad(e.Path)));
        Assert.All(entries.Values, e => Assert.Equal("classifier", e.Family));
        Assert.False(family.CanLoad(SharedData.Path("models", "cifar10-resnet20.safetensors")));
    }

    [SharedFact]
    public void RegistryLoadsACardPathThroughTheClassifierFamily()
    {
        var cardPath = SharedData.Path("models", "mobilenet_v1_0.25_128.json");
        Assert.Equal("classifier", Tvp.Models.ModelRegistry.Resolve(cardPath).Family.Name);
        using var model = Tvp.Models.ModelRegistry.Load(cardPath, CPU);
        Assert.Equal("mobilenet_v1_0.25_128", Assert.IsType<ClassifierPromptable>(model).Info.Name);
    }
}
