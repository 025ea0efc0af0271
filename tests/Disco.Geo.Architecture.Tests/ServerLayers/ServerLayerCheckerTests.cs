namespace Disco.Geo.Architecture.Tests.ServerLayers;

/// <summary>The layer checker itself, on small synthetic sources: it must catch what the rules forbid and pass clean code.</summary>
public sealed class ServerLayerCheckerTests
{
    [Fact]
    public void Clean_layering_passes()
    {
        SourceFile[] files =
        [
            new("Program.cs", "using Disco.Geo.Server.Hosting;\nDiscoServer.Run(args);\n"),
            new("Hosting/DiscoServer.cs", "using Disco.Geo.Server.Api;\nusing Disco.Geo.Server.Storage;\nusing Grpc.Core;\nnamespace Disco.Geo.Server.Hosting;\n"),
            new("Api/DatasetGrpcService.cs", "using Disco.Geo.Protos;\nusing Disco.Geo.Server.Application;\nusing Disco.Geo.Server.Options;\nusing Grpc.Core;\nnamespace Disco.Geo.Server.Api;\n"),
            new("Services/Legacy.cs", "using Disco.Geo.Server.Api;\nnamespace Disco.Geo.Server.Services;\n"),
            new("Application/Uploads.cs", "using Disco.Geo.Server.Jobs;\nusing Disco.Geo.Server.Storage;\nusing Disco.Geo.Server.Problems;\nnamespace Disco.Geo.Server.Application;\n"),
            new("Jobs/Handlers/TrainHandler.cs", "using Disco.Geo.Server.Jobs;\nusing Disco.Geo.Server.Storage;\nnamespace Disco.Geo.Server.Jobs.Handlers;\n"),
            new("Storage/Catalog.cs", "using Disco.Geo.Server.Options;\nusing Disco.Geo.Server.Domain;\nnamespace Disco.Geo.Server.Storage;\n"),
            new("Options/LimitsOptions.cs", "namespace Disco.Geo.Server.Options;\n"),
        ];
        Assert.Empty(ServerLayerChecker.Check(files, ServerLayerRules.Target));
    }

    [Fact]
    public void Grpc_core_in_the_application_layer_is_reported_with_file_and_line()
    {
        SourceFile file = new("Application/Uploads.cs", "using Disco.Geo.Server.Storage;\nusing Grpc.Core;\n\nnamespace Disco.Geo.Server.Application;\n");
        Violation violation = Assert.Single(ServerLayerChecker.Check([file], ServerLayerRules.Target));
        Assert.Equal("src/Disco.Geo.Server/Application/Uploads.cs:2", violation.Where);
        Assert.Contains("Grpc.Core", violation.Rule, StringComparison.Ordinal);
        Assert.Contains("below the Api layer", violation.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Fully_qualified_wire_types_and_aliases_below_the_api_are_reported()
    {
        SourceFile file = new("Jobs/JobRunner.cs", """
            using Status = global::Grpc.Core.Status;

            namespace Disco.Geo.Server.Jobs;

            internal sealed class JobRunner
            {
                private readonly Disco.Geo.Protos.Job _job = new();
            }
            """);
        IReadOnlyList<Violation> violations = ServerLayerChecker.Check([file], ServerLayerRules.Target);
        Assert.Equal(["src/Disco.Geo.Server/Jobs/JobRunner.cs:1", "src/Disco.Geo.Server/Jobs/JobRunner.cs:7"], violations.Select(v => v.Where));
    }

    [Fact]
    public void An_upward_reference_is_reported()
    {
        SourceFile file = new("Storage/BlobStore.cs", "using Disco.Geo.Server.Jobs;\nnamespace Disco.Geo.Server.Storage;\n");
        Violation violation = Assert.Single(ServerLayerChecker.Check([file], ServerLayerRules.Target));
        Assert.Equal("src/Disco.Geo.Server/Storage/BlobStore.cs:1", violation.Where);
        Assert.Contains("Storage uses Disco.Geo.Server.Jobs (Jobs)", violation.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_qualified_from_a_server_folder_is_a_reference_to_that_folder()
    {
        // Inside namespace Disco.Geo.Server.Diagnostics, "Jobs.IJobMetrics" means Disco.Geo.Server.Jobs.IJobMetrics.
        SourceFile file = new("Diagnostics/ServerMetrics.cs", """
            namespace Disco.Geo.Server.Diagnostics;

            internal sealed class ServerMetrics : Jobs.IJobMetrics
            {
                private readonly System.Diagnostics.Stopwatch _clock = new();
            }
            """);
        Violation violation = Assert.Single(ServerLayerChecker.Check([file], ServerLayerRules.Target));
        Assert.Equal("src/Disco.Geo.Server/Diagnostics/ServerMetrics.cs:3", violation.Where);
        Assert.Contains("uses Disco.Geo.Server.Jobs (Jobs)", violation.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Edge_layers_do_not_use_each_other()
    {
        SourceFile file = new("Observability/MetricsInterceptor.cs", "using Disco.Geo.Server.Services;\nnamespace Disco.Geo.Server.Observability;\n");
        Violation violation = Assert.Single(ServerLayerChecker.Check([file], ServerLayerRules.Target));
        Assert.Contains("Observability uses Disco.Geo.Server.Services (Api)", violation.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_without_a_layer_is_reported_once_and_references_to_it_each_time()
    {
        SourceFile[] files =
        [
            new("Engines/IngestEngine.cs", "namespace Disco.Geo.Server.Engines;\n"),
            new("Engines/TrainingEngine.cs", "namespace Disco.Geo.Server.Engines;\n"),
            new("Jobs/Handlers/IngestHandler.cs", "using Disco.Geo.Server.Engines;\nnamespace Disco.Geo.Server.Jobs.Handlers;\n"),
        ];
        IReadOnlyList<Violation> violations = ServerLayerChecker.Check(files, ServerLayerRules.Target);
        Assert.Equal(["src/Disco.Geo.Server/Engines/", "src/Disco.Geo.Server/Jobs/Handlers/IngestHandler.cs:1"], violations.Select(v => v.Where));
    }

    [Fact]
    public void Names_in_comments_and_strings_are_not_references()
    {
        SourceFile file = new("Storage/Catalog.cs", """"
            namespace Disco.Geo.Server.Storage;

            // Unlike Grpc.Core.Status, a storage error says nothing about the wire.
            /* Disco.Geo.Server.Services used to do this. */
            internal static class Catalog
            {
                private const string Note = "see Disco.Geo.Protos.Dataset";
                private const string Verbatim = @"Grpc.Core ""quoted""";
                private const string Raw = """
                    Disco.Geo.Server.Jobs
                    """;
                private const char Quote = '"';
                private static readonly string Interpolated = $"{Note} Grpc.Core";
            }
            """");
        Assert.Empty(ServerLayerChecker.Check([file], ServerLayerRules.Target));
    }

    [Fact]
    public void Stripping_keeps_line_breaks_so_line_numbers_stay_right()
    {
        string source = "/* one\ntwo */ x\n\"a\" // c\n@\"d\ne\" y";
        string stripped = CodeText.Strip(source);
        Assert.Equal(source.Count(c => c == '\n'), stripped.Count(c => c == '\n'));
        Assert.Equal(source.Length, stripped.Length);
        Assert.Contains("x", stripped, StringComparison.Ordinal);
        Assert.Contains("y", stripped, StringComparison.Ordinal);
        Assert.DoesNotContain("d", stripped, StringComparison.Ordinal);
    }
}
