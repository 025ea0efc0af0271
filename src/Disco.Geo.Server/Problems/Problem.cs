namespace Disco.Geo.Server.Problems;

/// <summary>
/// Builds the <see cref="ProblemException"/>s the server throws: a kind, a message that says what to fix, and the
/// details (field violations, the resource, the unmet precondition) clients can act on.
/// </summary>
internal static class Problem
{
    /// <summary>
    /// At most this many field violations are sent: a request with thousands of bad elements must get its answer, not
    /// trailers too large for the client to accept (which it would see as RESOURCE_EXHAUSTED).
    /// </summary>
    public const int MaxViolations = 20;

    public static ProblemException InvalidArgument(string field, string description) =>
        InvalidArgument([(field, description)]);

    public static ProblemException InvalidArgument(IReadOnlyList<(string Field, string Description)> violations)
    {
        List<FieldViolation> sent = violations.Take(MaxViolations)
            .Select(v => new FieldViolation(ClientText.Shorten(v.Field), ClientText.ForClients(v.Description))).ToList();
        string message = violations.Count == 1
            ? $"{sent[0].Field}: {sent[0].Description}"
            : "Invalid request: " + string.Join("; ", sent.Select(v => $"{v.Field}: {v.Description}"))
                + (violations.Count > MaxViolations ? $"; and {violations.Count - MaxViolations} more" : "");
        return new ProblemException(ProblemKind.InvalidArgument, message) { FieldViolations = sent };
    }

    /// <summary>NOT_FOUND naming the reference as given (shortened: it is client input) and how to list what exists.</summary>
    public static ProblemException NotFound(string resourceType, string name) =>
        new(ProblemKind.NotFound, $"No {resourceType} '{ClientText.Shorten(name)}'.{ListHint(resourceType)}")
        {
            Resource = new ResourceRef(resourceType, ClientText.Shorten(name), "not found"),
        };

    public static ProblemException AlreadyExists(string resourceType, string name, string hint) =>
        new(ProblemKind.AlreadyExists, $"A {resourceType} named '{ClientText.Shorten(name)}' already exists. {hint}")
        {
            Resource = new ResourceRef(resourceType, ClientText.Shorten(name), "already exists"),
        };

    /// <summary>
    /// How a user lists the resources of a type: the CLI command where there is one (these are checked against the
    /// CLI's command tree by a test), else the RPC.
    /// </summary>
    public static string ListHint(string resourceType) => resourceType switch
    {
        "dataset" => " List them with `disco datasets list`.",
        "model" => " List them with `disco models list`.",
        "job" => " List them with `disco jobs list`.",
        "prediction" => " List them with the ListPredictions call (PredictionService).",
        _ => "",
    };

    /// <summary>ALREADY_EXISTS for a conflict that is not about a name, with a message of its own.</summary>
    public static ProblemException Conflict(string resourceType, string name, string message) =>
        new(ProblemKind.AlreadyExists, message) { Resource = new ResourceRef(resourceType, ClientText.Shorten(name), "already exists") };

    public static ProblemException FailedPrecondition(string type, string subject, string description) =>
        new(ProblemKind.FailedPrecondition, description) { Precondition = new PreconditionViolation(type, subject, description) };

    public static ProblemException Unimplemented(string engine, string what) =>
        new(ProblemKind.Unimplemented, $"{what} needs the {engine}, which this server build does not include yet. Nothing was changed.")
        {
            MissingEngine = engine,
        };

    public static ProblemException PermissionDenied(string message) => new(ProblemKind.PermissionDenied, message);

    public static ProblemException OutOfRange(string field, string description) =>
        new(ProblemKind.OutOfRange, $"{field}: {description}") { FieldViolations = [new FieldViolation(field, description)] };

    public static ProblemException DataLoss(string message) => new(ProblemKind.DataLoss, message);

    public static ProblemException ResourceExhausted(string message) => new(ProblemKind.ResourceExhausted, message);

    public static ProblemException Aborted(string message) => new(ProblemKind.Aborted, message);

    public static ProblemException Unauthenticated(string message) => new(ProblemKind.Unauthenticated, message);

    public static ProblemException Internal(string message) => new(ProblemKind.Internal, message);

    /// <summary>A store the server depends on is out of reach for now; the same call may succeed later or on another replica.</summary>
    public static ProblemException Unavailable(string message) => new(ProblemKind.Unavailable, message);
}
