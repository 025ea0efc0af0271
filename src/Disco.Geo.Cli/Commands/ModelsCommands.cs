using System.CommandLine;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;

namespace Disco.Geo.Cli.Commands;

internal static class ModelsCommands
{
    public static Command Build(CommandFactory factory)
    {
        var command = new Command("models", "List, show, export, import, verify and remove model packages.");
        var prefix = new Option<string?>("--prefix") { Description = "Only names starting with this" };
        command.Subcommands.Add(ListCommand.Create(factory, "models", "List models.", [prefix],
            (context, client, cancellationToken) => client.Models.ListAsync(context.Parse.GetValue(prefix), cancellationToken),
            (["ID", "NAME", "ARCHITECTURE", "TASK", "GRID", "SIZE", "CREATED"],
                m => [m.Id, m.Name, m.Architecture, m.Task, Display.Grid(m.Grid), Display.Bytes(m.Blob?.SizeBytes ?? 0), Display.Time(m.CreateTime)]),
            m => m.Id));

        var showModel = new Argument<string>("model") { Description = "Model id or name" };
        var curves = new Option<string?>("--curves") { Description = "Also draw the learning curves (training loss, validation metric) into this PNG file" };
        var show = new Command("show", "Show a model and its card.") { showModel, curves };
        factory.SetAction(show, async (context, cancellationToken) =>
        {
            using DiscoClient client = context.Connect();
            Model model = await client.Models.GetAsync(context.Parse.GetValue(showModel)!, cancellationToken);
            if (context.Parse.GetValue(curves) is { } curvesPath)
            {
                byte[] png = Pictures.TrainingCurvesPicture.Draw(model.Name, model.CardJson).EncodePng();
                string directory = Path.GetDirectoryName(Path.GetFullPath(curvesPath))!;
                Directory.CreateDirectory(directory);
                string temporary = curvesPath + ".part";
                await File.WriteAllBytesAsync(temporary, png, cancellationToken);
                File.Move(temporary, curvesPath, overwrite: true);
                context.Say($"Wrote {curvesPath}");
            }

            if (context.JsonOutput)
            {
                context.WriteJson(model);
                return ExitCodes.Success;
            }

            context.Output.WriteLine($"{model.Id} {model.Name} ({Display.Bytes(model.Blob?.SizeBytes ?? 0)}, format {model.FormatVersion}, sha256 {model.Blob?.Sha256})");
            context.Output.WriteLine(model.CardJson);
            return ExitCodes.Success;
        });
        command.Subcommands.Add(show);

        var exportModel = new Argument<string>("model") { Description = "Model id or name" };
        var exportPath = new Argument<string>("file") { Description = "File to write" };
        var exportFormat = new Option<string>("--format")
        {
            Description = "package (.discomodel) or safetensors (weights for PyTorch, model card in the metadata)",
            DefaultValueFactory = _ => "package",
        };
        exportFormat.AcceptOnlyFromAmong("package", "safetensors");
        var export = new Command("export", "Write a model package, or its weights as safetensors, to a file (checked against its SHA-256).") { exportModel, exportPath, exportFormat };
        factory.SetAction(export, async (context, cancellationToken) =>
        {
            using DiscoClient client = context.Connect();
            string path = context.Parse.GetValue(exportPath)!;
            FileMetadata info = await Display.WithTransferProgressAsync(context, Path.GetFileName(path),
                progress => client.Models.ExportAsync(context.Parse.GetValue(exportModel)!, path, FileFormat(context.Parse.GetValue(exportFormat)), progress, cancellationToken));
            context.Say($"Wrote {path} ({Display.Bytes(info.SizeBytes)}, sha256 {info.Sha256})");
            if (context.JsonOutput)
            {
                context.WriteJson(info);
            }

            return ExitCodes.Success;
        });
        command.Subcommands.Add(export);

        var importPath = new Argument<string>("file") { Description = "Model package or safetensors file" };
        var importName = new Option<string?>("--name") { Description = "Model name (default: the name in the card)" };
        var importFormat = new Option<string?>("--format") { Description = "package or safetensors (default: detected from the file's first bytes)" };
        importFormat.AcceptOnlyFromAmong("package", "safetensors");
        var import = new Command("import", "Import a model package, or safetensors weights whose metadata carries the model card.") { importPath, importName, importFormat };
        factory.SetAction(import, async (context, cancellationToken) =>
        {
            string path = context.Parse.GetValue(importPath)!;
            if (!File.Exists(path))
            {
                throw new UsageException($"No file at {path}.");
            }

            using DiscoClient client = context.Connect();
            Model model = await Display.WithTransferProgressAsync(context, Path.GetFileName(path),
                progress => client.Models.ImportAsync(path, context.Parse.GetValue(importName), FileFormat(context.Parse.GetValue(importFormat)), progress, cancellationToken));
            if (context.JsonOutput)
            {
                context.WriteJson(model);
            }
            else
            {
                context.Output.WriteLine($"{model.Id} {model.Name}: imported ({Display.Bytes(model.Blob.SizeBytes)})");
            }

            return ExitCodes.Success;
        });
        command.Subcommands.Add(import);

        command.Subcommands.Add(RemoveCommand.Create(
            factory, ("models", "Model ids or names"), "Remove models.",
            (client, model, cancellationToken) => client.Models.DeleteAsync(model, cancellationToken),
            response => (response.ModelId, response.FreedBytes)));

        // Server errors about a damaged package point here: the VerifyModel call re-reads the stored package.
        var verifyModel = new Argument<string>("model") { Description = "Model id or name" };
        var detach = new Option<bool>("--detach") { Description = "Return once the job is queued" };
        var verify = new Command("verify", "Re-read a model's stored package and check its SHA-256 (a job).") { verifyModel, detach };
        factory.SetAction(verify, async (context, cancellationToken) =>
        {
            using DiscoClient client = context.Connect();
            Job job = await client.Models.VerifyAsync(context.Parse.GetValue(verifyModel)!, cancellationToken);
            return await DatasetsCommands.FollowAsync(context, client, job, context.Parse.GetValue(detach), cancellationToken);
        });
        command.Subcommands.Add(verify);
        return command;
    }

    private static ModelFileFormat FileFormat(string? name) => name switch
    {
        "package" => ModelFileFormat.Package,
        "safetensors" => ModelFileFormat.Safetensors,
        _ => ModelFileFormat.Unspecified,
    };
}
