namespace Tvp.Training;

/// <summary>Learning rate per iteration: cosine annealing from lr to 0 over all steps (stepped per iteration), or constant.</summary>
public static class LearningRateSchedule
{
    /// <summary>The learning rate at step <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>.</summary>
    public static double At(ScheduleKind schedule, double lr, long step, long totalSteps) => schedule switch
    {
        ScheduleKind.Constant => lr,
        ScheduleKind.Cosine => totalSteps <= 1 ? lr : 0.5 * lr * (1 + Math.Cos(Math.PI * step / totalSteps)),
        _ => throw new ArgumentException($"--schedule must be {OptionNames.Choices<ScheduleKind>()}, got {schedule}"),
    };
}
