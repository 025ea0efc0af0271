namespace Disco.Geo.Engine;

/// <summary>An input the user must fix: the message says what is wrong (the server answers INVALID_ARGUMENT or fails the job).</summary>
/// <param name="message">What is wrong and how to fix it.</param>
/// <param name="field">The request field at fault (e.g. "model.kernel_shape", "bands[3].source_band"), when known.</param>
public sealed class EngineInputException(string message, string? field = null) : Exception(message)
{
    /// <summary>The request field at fault, or null when the message names it only in words.</summary>
    public string? Field { get; } = field;
}

/// <summary>
/// A source refers to files outside what it may read (see <see cref="Disco.Geo.Gdal.SourceSandbox"/>): the request is refused with
/// PERMISSION_DENIED. The message names the source as the client knows it and the file by its name only.
/// </summary>
/// <param name="message">What was refused, without server paths.</param>
public sealed class EngineAccessDeniedException(string message) : Exception(message);

/// <summary>What is wrong with the state an engine found (see <see cref="EngineStateException"/>).</summary>
public enum EngineStateProblem
{
    /// <summary>The stored state is sound but does not fit the work (a checkpoint of another configuration, a package this build cannot run): FAILED_PRECONDITION.</summary>
    Incompatible,

    /// <summary>The stored state is damaged or missing (a corrupt or deleted model package): DATA_LOSS.</summary>
    Damaged,
}

/// <summary>
/// The work cannot run on what the server stored for it (not on what the user sent): the message says what to do
/// instead, <see cref="Problem"/> how the server reports it.
/// </summary>
/// <param name="message">What is wrong and what to do, without server paths.</param>
/// <param name="problem">Incompatible or damaged.</param>
/// <param name="inner">The library's exception, when there is one.</param>
public sealed class EngineStateException(string message, EngineStateProblem problem, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Incompatible or damaged.</summary>
    public EngineStateProblem Problem { get; } = problem;
}

/// <summary>A file the user sent has defects; each violation names the place in the file and what is wrong (INVALID_ARGUMENT).</summary>
/// <param name="violations">(field, description) pairs, fields relative to the file.</param>
public sealed class EngineFileException(IReadOnlyList<(string Field, string Description)> violations)
    : Exception(string.Join("; ", violations.Select(v => $"{v.Field}: {v.Description}")))
{
    /// <summary>Every defect found.</summary>
    public IReadOnlyList<(string Field, string Description)> Violations { get; } = violations;
}
