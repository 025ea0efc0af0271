using System.Collections;
using System.Globalization;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Options;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Disco.Geo.Server.Services;

/// <summary>
/// The checks every request gets before its handler runs, by walking the message with protobuf reflection:
/// <list type="bullet">
/// <item>every repeated field, map and string has a size limit, taken from <see cref="LimitsOptions"/> through the
/// table below (<see cref="Table"/>); a field missing from the table fails the server tests, so a new field cannot
/// arrive without a limit;</item>
/// <item>every enum field holds a defined member (a client sending 99 gets an error, not the default);</item>
/// <item>every double is finite.</item>
/// </list>
/// Violations name the field path (e.g. <c>bands[3].name</c>) and the setting that raises the limit; nothing of the
/// oversized value is echoed.
/// </summary>
internal sealed class RequestLimits(LimitsOptions limits)
{
    /// <summary>
    /// The limit of each sized field, keyed by "message.field" (protobuf full names). Repeated fields and maps are
    /// limited in items, strings in characters; a repeated string also has each item limited by its element entry
    /// ("message.field[]").
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, Limit> Table = BuildTable();

    /// <summary>Every message type that arrives as a request (or a message of a client stream).</summary>
    internal static IReadOnlyList<MessageDescriptor> RequestTypes { get; } =
    [
        .. DatasetService.Descriptor.Methods.Select(m => m.InputType),
        .. TrainingService.Descriptor.Methods.Select(m => m.InputType),
        .. ModelService.Descriptor.Methods.Select(m => m.InputType),
        .. PredictionService.Descriptor.Methods.Select(m => m.InputType),
    ];

    /// <summary>True for the request messages of the Disco.Geo services (<see cref="RequestTypes"/>).</summary>
    public static bool IsRequestType(MessageDescriptor descriptor) => RequestTypeNames.Contains(descriptor.FullName);

    private static readonly HashSet<string> RequestTypeNames = [.. RequestTypes.Select(t => t.FullName)];

    /// <summary>Checks one request; returns the violations, at most one per field.</summary>
    public List<(string Field, string Description)> Check(IMessage message)
    {
        var violations = new List<(string, string)>();
        Walk(message, "", violations, depth: 0);
        return violations;
    }

    /// <summary>Throws INVALID_ARGUMENT with field violations when the request breaks a limit.</summary>
    public void ThrowIfInvalid(IMessage message) => Validation.ThrowIfAny(Check(message));

    private void Walk(IMessage message, string prefix, List<(string, string)> violations, int depth)
    {
        if (depth > 8)
        {
            return;
        }

        foreach (FieldDescriptor field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            string path = prefix + field.Name;
            object? value = field.Accessor.GetValue(message);
            if (field.IsMap)
            {
                var map = (IDictionary)value!;
                if (CheckCount(field, path, map.Count, violations))
                {
                    FieldDescriptor keyField = field.MessageType.FindFieldByNumber(1);
                    FieldDescriptor valueField = field.MessageType.FindFieldByNumber(2);
                    foreach (DictionaryEntry entry in map)
                    {
                        if (!CheckScalar(keyField, field, path, entry.Key, violations, "key") || !CheckScalar(valueField, field, path, entry.Value, violations, "value"))
                        {
                            break;
                        }
                    }
                }
            }
            else if (field.IsRepeated)
            {
                var list = (IList)value!;
                if (CheckCount(field, path, list.Count, violations))
                {
                    for (int i = 0; i < list.Count; i++)
                    {
                        if (field.FieldType == FieldType.Message)
                        {
                            Walk((IMessage)list[i]!, $"{path}[{i}].", violations, depth + 1);
                        }
                        else if (!CheckScalar(field, field, $"{path}[{i}]", list[i], violations, "item"))
                        {
                            break;
                        }
                    }
                }
            }
            else if (field.FieldType == FieldType.Message)
            {
                if (value is IMessage nested)
                {
                    Walk(nested, path + ".", violations, depth + 1);
                }
            }
            else
            {
                CheckScalar(field, field, path, value, violations, "value");
            }
        }
    }

    private bool CheckCount(FieldDescriptor field, string path, int count, List<(string, string)> violations)
    {
        Limit limit = LimitOf(field.FullName);
        int max = limit.Max(limits);
        if (count <= max)
        {
            return true;
        }

        violations.Add((path, $"has {count} {(field.IsMap ? "entries" : "items")}; the server accepts at most {max}{limit.RaisedBy()}."));
        return false;
    }

    /// <summary>Checks a string's length, an enum's membership or a double's finiteness; false after a violation.</summary>
    private bool CheckScalar(FieldDescriptor element, FieldDescriptor owner, string path, object? value, List<(string, string)> violations, string role)
    {
        switch (element.FieldType)
        {
            case FieldType.String:
                string text = (string?)value ?? "";
                string key = owner.IsMap ? $"{owner.FullName}.{role}" : owner.IsRepeated ? owner.FullName + "[]" : owner.FullName;
                Limit limit = LimitOf(key);
                int max = limit.Max(limits);
                if (text.Length > max)
                {
                    string what = owner.IsMap ? $"a {role} of {text.Length} characters" : $"{text.Length} characters";
                    violations.Add((path, $"has {what}; the server accepts at most {max}{limit.RaisedBy()}."));
                    return false;
                }

                return true;
            case FieldType.Enum:
                int number = Convert.ToInt32(value, CultureInfo.InvariantCulture);
                if (element.EnumType.FindValueByNumber(number) is null)
                {
                    string members = string.Join(", ", element.EnumType.Values.Where(v => v.Number != 0).Select(v => Names.OfEnumValue(element.EnumType, v)));
                    violations.Add((path, $"{number} is not a known {element.EnumType.Name} value; use one of {members}."));
                    return false;
                }

                return true;
            case FieldType.Double or FieldType.Float:
                double number64 = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (!double.IsFinite(number64))
                {
                    violations.Add((path, "must be a finite number."));
                    return false;
                }

                return true;
            default:
                return true;
        }
    }

    private static Limit LimitOf(string key) =>
        Table.TryGetValue(key, out Limit? limit) ? limit : throw new InvalidOperationException($"Request field {key} has no size limit in RequestLimits.Table.");

    /// <summary>A field's limit: a <see cref="LimitsOptions"/> setting, or a fixed bound that the format implies.</summary>
    internal sealed record Limit(string? Setting, Func<LimitsOptions, int> Max)
    {
        /// <summary>The advice naming the setting in the Limits section that raises the bound, or nothing for fixed bounds.</summary>
        public string RaisedBy() => Setting is null ? "" : $" (raise it with the server setting Limits:{Setting})";
    }

    private static Dictionary<string, Limit> BuildTable()
    {
        Limit name = new(nameof(LimitsOptions.MaxNameLength), l => l.MaxNameLength);
        Limit path = new(nameof(LimitsOptions.MaxPathLength), l => l.MaxPathLength);
        Limit requestId = new(nameof(LimitsOptions.MaxRequestIdLength), l => l.MaxRequestIdLength);
        Limit description = new(nameof(LimitsOptions.MaxDescriptionLength), l => l.MaxDescriptionLength);
        Limit token = new(nameof(LimitsOptions.MaxTokenLength), l => l.MaxTokenLength);
        Limit labels = new(nameof(LimitsOptions.MaxLabels), l => l.MaxLabels);
        Limit label = new(nameof(LimitsOptions.MaxLabelLength), l => l.MaxLabelLength);
        Limit datasets = new(nameof(LimitsOptions.MaxTrainingDatasets), l => l.MaxTrainingDatasets);
        const string P = "disco.geo.v1.";
        var table = new Dictionary<string, Limit>(StringComparer.Ordinal);
        void Strings(Limit limit, params string[] fields)
        {
            foreach (string field in fields)
            {
                table.Add(P + field, limit);
            }
        }

        void Map(string field, Limit count)
        {
            table.Add(P + field, count);
            table.Add(P + field + ".key", label);
            table.Add(P + field + ".value", label);
        }

        // Names and references (an id, or a name the catalog looks up).
        Strings(name,
            "UploadHeader.name", "GetUploadStatusRequest.name", "IngestDatasetRequest.name", "IngestDatasetRequest.dataset_id", "BandSpec.name",
            "RasterSource.dataset_id", "ListDatasetsRequest.name_prefix", "GetDatasetRequest.dataset", "DeleteDatasetRequest.dataset",
            "DownloadDatasetRequest.dataset", "ExportDatasetRequest.dataset", "VerifyDatasetRequest.dataset",
            "StartTrainingRequest.model_name", "StartTrainingRequest.datasets[]", "StartTrainingRequest.validation_datasets[]", "ModelConfig.class_names[]",
            "WatchJobRequest.job_id", "CancelJobRequest.job_id", "ResumeJobRequest.job_id", "GetJobRequest.job_id",
            "ListModelsRequest.name_prefix", "GetModelRequest.model", "DeleteModelRequest.model", "ExportModelRequest.model", "ImportModelHeader.name", "VerifyModelRequest.model",
            "PanoramaSource.dataset_id", "PredictRequest.model", "PredictRequest.dataset", "PredictRequest.name", "PredictRequest.level_with", "GetPredictionRequest.prediction",
            "ListPredictionsRequest.model_id", "DeletePredictionRequest.prediction", "ExportPredictionRequest.prediction");
        Strings(path, "ServerPathSource.path", "RasterSource.server_path", "TileListSource.paths[]");

        // A variable path inside a NetCDF/HDF5 file: as long as a name (the RPC checks its spelling further).
        Strings(name, "IngestDatasetRequest.variable", "RasterSource.variable");
        Strings(requestId, "IngestDatasetRequest.request_id", "StartTrainingRequest.request_id", "PredictRequest.request_id", "ListPredictionsRequest.request_id");
        Strings(description, "UploadHeader.description", "IngestDatasetRequest.description");
        Strings(token,
            "UploadHeader.sha256", "UploadHeader.file_name", "GetUploadStatusRequest.sha256", "ListDatasetsRequest.page_token", "ImportModelHeader.sha256",
            "ModelConfig.basis", "StartTrainingRequest.device", "ListJobsRequest.page_token", "ListModelsRequest.page_token", "ListPredictionsRequest.page_token");

        // Lists and maps.
        table.Add(P + "IngestDatasetRequest.bands", new(nameof(LimitsOptions.MaxBandSpecs), l => l.MaxBandSpecs));
        table.Add(P + "IngestDatasetRequest.additional_sources", new(nameof(LimitsOptions.MaxAdditionalSources), l => l.MaxAdditionalSources));
        table.Add(P + "TileListSource.paths", new(nameof(LimitsOptions.MaxTilePaths), l => l.MaxTilePaths));
        table.Add(P + "ModelConfig.class_names", new(nameof(LimitsOptions.MaxClassNames), l => l.MaxClassNames));
        table.Add(P + "StartTrainingRequest.datasets", datasets);
        table.Add(P + "StartTrainingRequest.validation_datasets", datasets);
        table.Add(P + "BandSpec.label_map", new(nameof(LimitsOptions.MaxLabelMapEntries), l => l.MaxLabelMapEntries));

        // The engine takes one or two kernel sizes; a few more items still get its own message ("give one or two sizes").
        table.Add(P + "ModelConfig.kernel_shape", new(null, _ => 8));
        Map("UploadHeader.labels", labels);
        Map("IngestDatasetRequest.labels", labels);
        return table;
    }
}
