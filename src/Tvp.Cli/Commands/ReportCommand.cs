using System.CommandLine;
using Tvp.Experiments.Report;

namespace Tvp.Cli.Commands;

/// <summary><c>tvp report RUN_DIR</c>: writes report.html with PNG figures into a run folder and prints its path.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var runDir = new Argument<string>("RUN_DIR") { Description = "A run folder (written by tvp train, eval or transfer)." };
        var cmd = new Command("report", "Write report.html (self-contained, opens offline) with PNG figures under figures/: the prompt, the transfer-matrix heatmap, loss and validation curves, the accuracy table.");
        cmd.Arguments.Add(runDir);
        cmd.SetAction(r => CliAction.Run(() =>
        {
            CliContext.Out.WriteLine(RunReport.Write(r.GetValue(runDir)!));
            return 0;
        }));
        return cmd;
    }
}
