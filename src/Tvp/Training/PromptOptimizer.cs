using System.Text.Json.Serialization;

namespace Tvp.Training;

/// <summary>The prompt's update rule (<c>--optimizer</c>).</summary>
[JsonConverter(typeof(OptionEnumConverter<PromptOptimizer>))]
public enum PromptOptimizer
{
    /// <summary>The paper's normalised-gradient step.</summary>
    [JsonStringEnumMemberName("normalized")] Normalized,
    /// <summary>SGD with momentum 0.9.</summary>
    [JsonStringEnumMemberName("sgd")] Sgd,
    /// <summary>Adam.</summary>
    [JsonStringEnumMemberName("adam")] Adam,
}
