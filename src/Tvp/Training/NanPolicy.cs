namespace Tvp.Training;

/// <summary>What training does when a step produces a non-finite loss, gradient or prompt value (<c>--on-nan</c>).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<NanPolicy>))]
public enum NanPolicy
{
    /// <summary>Stop: keep the last finite checkpoint and the best prompt, fail with <see cref="TrainingDivergedException"/>.</summary>
    Stop,
    /// <summary>Skip the batch (the prompt is left as it was before the step) and count the skip in the metrics.</summary>
    Skip,
}

/// <summary>Parses <c>--on-nan</c> values.</summary>
public static class NanPolicies
{
    /// <summary>stop | skip.</summary>
    public static NanPolicy Parse(string s) => s.ToLowerInvariant() switch
    {
        "stop" => NanPolicy.Stop,
        "skip" => NanPolicy.Skip,
        _ => throw new ArgumentException($"--on-nan must be stop or skip, got '{s}'"),
    };
}
