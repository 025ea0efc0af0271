using System.CommandLine;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;

namespace Disco.Geo.Cli.Commands;

internal static class JobsCommands
{
    public static Command Build(CommandFactory factory)
    {
        var command = new Command("jobs", "List, show, watch, cancel and resume jobs (ingest, training, prediction, verify).");
        var kind = new Option<string?>("--kind") { Description = "ingest, training, prediction or verify" };
        var state = new Option<string?>("--state") { Description = "queued, running, succeeded, failed, cancelled, interrupted" };
        command.Subcommands.Add(ListCommand.Create(factory, "jobs", "List jobs, oldest first.", [kind, state],
            (context, client, cancellationToken) =>
            {
                JobKind kindFilter = context.Parse.GetValue(kind) is { } k ? Parsing.Enum<JobKind>("kind", k) : JobKind.Unspecified;
                JobState stateFilter = context.Parse.GetValue(state) is { } s ? Parsing.Enum<JobState>("state", s) : JobState.Unspecified;
                return client.Jobs.ListAsync(kindFilter, stateFilter, cancellationToken);
            },
            (["ID", "KIND", "STATE", "PROGRESS", "DEVICE", "CREATED", "DESCRIPTION"],
                j => [j.Id, Display.Lower(j.Kind), Display.Lower(j.State), Display.Percent(j.Progress?.Fraction ?? 0), j.Device, Display.Time(j.CreateTime), j.Description]),
            j => j.Id));
        command.Subcommands.Add(JobCommand(factory, "show", "Show a job's current state.", async (context, client, id, cancellationToken) =>
        {
            Job job = await client.Jobs.GetAsync(id, cancellationToken);
            if (context.JsonOutput)
            {
                context.WriteJson(job);
            }
            else
            {
                context.Output.WriteLine($"{job.Id} {Display.Lower(job.Kind)} {Display.Lower(job.State)} {Display.Percent(job.Progress?.Fraction ?? 0)} {job.Progress?.Message}");
                if (job.Error is { } error)
                {
                    context.Output.WriteLine("error: " + error.Message);
                }

                // Which server replica ran which attempt (a cluster takes a job over when its replica is lost).
                foreach (JobAttempt attempt in job.Attempts)
                {
                    context.Output.WriteLine($"attempt {attempt.Attempt}: replica {attempt.Replica}" +
                        (attempt.StartTime is { } started ? $", started {started.ToDateTime():yyyy-MM-dd HH:mm:ss}Z" : ""));
                }
            }

            return ExitCodes.Success;
        }));
        command.Subcommands.Add(JobCommand(factory, "watch", "Follow a job until it ends (re-attaches after disconnects).",
            (context, client, id, cancellationToken) => Display.WatchJobAsync(context, client, id, cancellationToken)));
        command.Subcommands.Add(JobCommand(factory, "cancel", "Cancel a queued or running job.", async (context, client, id, cancellationToken) =>
        {
            Job job = await client.Jobs.CancelAsync(id, cancellationToken);
            if (context.JsonOutput)
            {
                context.WriteJson(job);
            }
            else
            {
                context.Output.WriteLine($"{job.Id} {Display.Lower(job.State)}");
            }

            return ExitCodes.Success;
        }));
        var watch = new Option<bool>("--watch") { Description = "Follow the resumed job until it ends" };
        Command resume = JobCommand(factory, "resume", "Resume an interrupted, failed or cancelled job from its last checkpoint.", async (context, client, id, cancellationToken) =>
        {
            Job job = await client.Jobs.ResumeAsync(id, cancellationToken);
            if (context.Parse.GetValue(watch))
            {
                return await Display.WatchJobAsync(context, client, job.Id, cancellationToken);
            }

            if (context.JsonOutput)
            {
                context.WriteJson(job);
            }
            else
            {
                context.Output.WriteLine($"{job.Id} {Display.Lower(job.State)} (attempt {job.Attempt})");
            }

            return ExitCodes.Success;
        });
        resume.Options.Add(watch);
        command.Subcommands.Add(resume);
        return command;
    }

    private static Command JobCommand(CommandFactory factory, string name, string description, Func<CliContext, DiscoClient, string, CancellationToken, Task<int>> body)
    {
        var id = new Argument<string>("job") { Description = "Job id (job_...)" };
        var command = new Command(name, description) { id };
        factory.SetAction(command, async (context, cancellationToken) =>
        {
            using DiscoClient client = context.Connect();
            return await body(context, client, context.Parse.GetValue(id)!, cancellationToken);
        });
        return command;
    }
}
