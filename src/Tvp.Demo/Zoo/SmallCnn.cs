using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo.Zoo;

/// <summary>
/// The zoo's model that shares nothing: a small CNN trained from scratch on raw pixels (32×32 input):
/// three 3×3 conv blocks (16, 32, 64 channels; ReLU; 2×2 max-pool after the first two), global average
/// pooling (the penultimate 64-d features) and a linear classifier.
/// </summary>
internal sealed class SmallCnn : nn.Module
{
    /// <summary>Input side in pixels.</summary>
    public const int InputSize = 32;
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Conv2d conv3;
    private readonly Linear classifier;

    public SmallCnn(int classes) : base("zoo-cnn")
    {
        conv1 = nn.Conv2d(3, 16, 3, padding: 1);
        conv2 = nn.Conv2d(16, 32, 3, padding: 1);
        conv3 = nn.Conv2d(32, 64, 3, padding: 1);
        classifier = nn.Linear(64, classes);
        RegisterComponents();
    }

    /// <summary>Logits [B,K] and penultimate features [B,64] of normalised inputs [B,3,32,32].</summary>
    public (Tensor Logits, Tensor Features) Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = nn.functional.max_pool2d(nn.functional.relu(conv1.forward(x)), 2);   // [B, 16, 16, 16]
        h = nn.functional.max_pool2d(nn.functional.relu(conv2.forward(h)), 2);       // [B, 32, 8, 8]
        h = nn.functional.relu(conv3.forward(h));                                     // [B, 64, 8, 8]
        var features = h.mean(new long[] { 2, 3 });                                   // [B, 64]
        var logits = classifier.forward(features);                                    // [B, K]
        return (logits.MoveToOuterDisposeScope(), features.MoveToOuterDisposeScope());
    }
}
