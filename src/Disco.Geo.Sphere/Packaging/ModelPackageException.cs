namespace Disco.Geo.Sphere.Packaging;

/// <summary>Why a model package could not be read.</summary>
public enum ModelPackageProblem
{
    /// <summary>The file does not start with the package header.</summary>
    NotAPackage,

    /// <summary>The file ends early.</summary>
    Truncated,

    /// <summary>The checksum, card or weights are damaged.</summary>
    Corrupt,

    /// <summary>The format version is not one this build reads.</summary>
    UnsupportedVersion,

    /// <summary>The package is intact but describes a model this build cannot rebuild, or weights that do not fit it.</summary>
    Incompatible,
}

/// <summary>A model package file is not valid; the message says what is wrong and what to do.</summary>
public sealed class ModelPackageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelPackageException(ModelPackageProblem problem, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Problem = problem;
    }

    /// <summary>Creates the exception.</summary>
    public ModelPackageException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public ModelPackageException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ModelPackageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>What kind of problem it is.</summary>
    public ModelPackageProblem Problem { get; }
}
