using System.Text.Json.Serialization;

namespace Tvp.Training;

/// <summary>The learning-rate schedule (<c>--schedule</c>), see <see cref="LearningRateSchedule"/>.</summary>
[JsonConverter(typeof(OptionEnumConverter<ScheduleKind>))]
public enum ScheduleKind
{
    /// <summary>Cosine annealing from lr to 0, stepped per iteration.</summary>
    [JsonStringEnumMemberName("cosine")] Cosine,
    /// <summary>Constant lr.</summary>
    [JsonStringEnumMemberName("constant")] Constant,
}
