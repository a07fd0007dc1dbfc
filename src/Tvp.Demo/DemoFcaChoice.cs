using System.Text.Json.Serialization;
using Tvp.Training;

namespace Tvp.Demo;

/// <summary>Which TVP prompts the demo trains (<c>--fca-features</c>): one per FCA site, or both.</summary>
[JsonConverter(typeof(OptionEnumConverter<DemoFcaChoice>))]
public enum DemoFcaChoice
{
    /// <summary>One TVP prompt per site (connector and encoder).</summary>
    [JsonStringEnumMemberName("both")] Both,
    /// <summary>FCA on each model's own connector.</summary>
    [JsonStringEnumMemberName("connector")] Connector,
    /// <summary>FCA on the shared encoder.</summary>
    [JsonStringEnumMemberName("encoder")] Encoder,
}
