using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Tvp.Models;

namespace Tvp.Cli.Commands;

/// <summary><c>tvp models</c>: lists the models found in the model folders.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout." };
        var cmd = new Command("models", "List the models that can be named by a short name (cards found in TVP_MODELS, ./models, ../shared/models, ~/.cache/tvp/models).");
        cmd.Options.Add(json);
        cmd.SetAction(r => CliAction.Run(() =>
        {
            var list = ModelRegistry.List();
            if (r.GetValue(json))
            {
                CliContext.Out.WriteLine(JsonSerializer.Serialize(new { models = list.Select(e => new { name = e.Name, family = e.Family, path = e.Path, description = e.Description }) }));
                return 0;
            }
            var table = new Table().AddColumns("name", "family", "description", "path");
            foreach (var e in list) table.AddRow(Markup.Escape(e.Name), e.Family, Markup.Escape(e.Description), Markup.Escape(e.Path));
            CliContext.Current.Console.Write(table);
            if (list.Count == 0) CliContext.Current.Console.MarkupLine("[yellow]no models found[/] in: " + Markup.Escape(string.Join(", ", ModelRegistry.SearchFolders())));
            return 0;
        }));
        return cmd;
    }
}
