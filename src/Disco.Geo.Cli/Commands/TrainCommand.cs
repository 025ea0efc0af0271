using System.CommandLine;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Google.Protobuf;

namespace Disco.Geo.Cli.Commands;

internal static class TrainCommand
{
    public static Command Build(CommandFactory factory)
    {
        var config = new Option<string?>("--config") { Description = "JSON file with a StartTrainingRequest (proto JSON names); flags override its values" };
        var modelName = new Option<string?>("--model-name") { Description = "Name of the model to create" };
        var datasets = new Option<string[]>("--dataset") { Description = "Gridded training dataset (id or name), repeatable", AllowMultipleArgumentsPerToken = true };
        var validation = new Option<string[]>("--validation") { Description = "Gridded validation dataset, repeatable", AllowMultipleArgumentsPerToken = true };
        var task = new Option<string?>("--task") { Description = "segmentation, regression or depth" };
        var classNames = new Option<string?>("--class-names")
        {
            Description = "Segmentation: class names by id, comma-separated, e.g. floor,ceiling,wall,object (default class_0, class_1, …); they name the classes in maps, legends and scores",
        };
        var architecture = new Option<string?>("--arch") { Description = "disco-unet (default) or planar-unet" };
        var levels = new Option<int?>("--levels") { Description = "Encoder levels" };
        var channels = new Option<int?>("--channels") { Description = "Channels of the first level" };
        var epochs = new Option<int?>("--epochs") { Description = "Training epochs" };
        var batch = new Option<int?>("--batch-size") { Description = "Batch size" };
        var learningRate = new Option<double?>("--lr") { Description = "Learning rate" };
        var seed = new Option<long?>("--seed") { Description = "Random seed" };
        var rotation = new Option<string?>("--rotation") { Description = "Augmentation: none, z or so3" };
        var timeLimit = new Option<int?>("--time-limit") { Description = "Stop after this many seconds" };
        var device = new Option<string?>("--device") { Description = "cpu or cuda:N" };
        var priority = new Option<int?>("--priority") { Description = "Higher runs first among queued jobs" };
        var detach = new Option<bool>("--detach") { Description = "Return once the job is queued instead of showing its progress" };
        var trainTime = new Option<string?>("--train-time") { Description = "Time stacks: train on the steps in START/END (ISO 8601, end exclusive), e.g. 0001-01-01/0001-10-01" };
        var validationTime = new Option<string?>("--validation-time") { Description = "Time stacks: validate on the steps in START/END (ISO 8601, end exclusive); must not overlap --train-time" };
        var command = new Command("train", "Train a model on gridded datasets (a job; progress is shown until it ends).")
        {
            config, modelName, datasets, validation, task, classNames, architecture, levels, channels, epochs, batch, learningRate, seed, rotation, timeLimit, device, priority, detach, trainTime, validationTime,
        };
        factory.SetAction(command, async (context, cancellationToken) =>
        {
            ParseResult p = context.Parse;
            StartTrainingRequest request = new();
            if (p.GetValue(config) is { } path)
            {
                if (!File.Exists(path))
                {
                    throw new UsageException($"No config file at {path}.");
                }

                try
                {
                    request = JsonParser.Default.Parse<StartTrainingRequest>(await File.ReadAllTextAsync(path, cancellationToken));
                }
                catch (InvalidProtocolBufferException e)
                {
                    throw new UsageException($"{path} is not a valid training config: {e.Message}");
                }
            }

            request.Model ??= new ModelConfig();
            request.HyperParameters ??= new HyperParameters();
            if (p.GetValue(modelName) is { } name)
            {
                request.ModelName = name;
            }

            if (p.GetValue(datasets) is { Length: > 0 } training)
            {
                request.Datasets.Clear();
                request.Datasets.Add(training);
            }

            if (p.GetValue(validation) is { Length: > 0 } held)
            {
                request.ValidationDatasets.Clear();
                request.ValidationDatasets.Add(held);
            }

            if (p.GetValue(task) is { } taskText)
            {
                request.Task = Parsing.Enum<TrainingTask>("task", taskText);
            }

            if (p.GetValue(architecture) is { } arch)
            {
                request.Model.Architecture = Parsing.Enum<Architecture>("arch", arch);
            }

            if (p.GetValue(classNames) is { } namesText)
            {
                string[] names = namesText.Split(',', StringSplitOptions.TrimEntries);
                if (names.Any(n => n.Length == 0))
                {
                    throw new UsageException($"--class-names '{namesText}' has an empty name; list one name per class id, e.g. floor,ceiling,wall,object.");
                }

                request.Model.ClassNames.Clear();
                request.Model.ClassNames.Add(names);
            }

            request.Model.Levels = p.GetValue(levels) ?? request.Model.Levels;
            request.Model.BaseChannels = p.GetValue(channels) ?? request.Model.BaseChannels;
            request.HyperParameters.Epochs = p.GetValue(epochs) ?? request.HyperParameters.Epochs;
            request.HyperParameters.BatchSize = p.GetValue(batch) ?? request.HyperParameters.BatchSize;
            request.HyperParameters.LearningRate = p.GetValue(learningRate) ?? request.HyperParameters.LearningRate;
            request.HyperParameters.Seed = p.GetValue(seed) ?? request.HyperParameters.Seed;
            request.HyperParameters.TimeLimitSeconds = p.GetValue(timeLimit) ?? request.HyperParameters.TimeLimitSeconds;
            if (p.GetValue(rotation) is { } rotationText)
            {
                request.HyperParameters.Rotation = Parsing.Enum<RotationAugmentation>("rotation", rotationText);
            }

            if (p.GetValue(trainTime) is { } trainText)
            {
                request.TrainTimeRange = Parsing.TimeRange("--train-time", trainText);
            }

            if (p.GetValue(validationTime) is { } validationText)
            {
                request.ValidationTimeRange = Parsing.TimeRange("--validation-time", validationText);
            }

            request.Device = p.GetValue(device) ?? request.Device;
            request.Priority = p.GetValue(priority) ?? request.Priority;
            if (request.ModelName.Length == 0 || request.Datasets.Count == 0 || request.Task == TrainingTask.Unspecified)
            {
                throw new UsageException("train needs --model-name, at least one --dataset and --task (or a --config file that sets them).");
            }

            using DiscoClient client = context.Connect();
            Job job = await client.Jobs.StartTrainingAsync(request, cancellationToken);
            return await DatasetsCommands.FollowAsync(context, client, job, p.GetValue(detach), cancellationToken);
        });
        return command;
    }
}
