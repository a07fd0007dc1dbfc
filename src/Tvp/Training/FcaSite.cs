using System.Text.Json.Serialization;

namespace Tvp.Training;

/// <summary>Which features Feature Consistency Alignment compares (<c>--fca-features</c>).</summary>
[JsonConverter(typeof(OptionEnumConverter<FcaSite>))]
public enum FcaSite
{
    /// <summary>The model's own connector output (its image features).</summary>
    [JsonStringEnumMemberName("connector")] Connector,
    /// <summary>A shared encoder's output, where the model has one (else its connector output, with a warning).</summary>
    [JsonStringEnumMemberName("encoder")] Encoder,
}
