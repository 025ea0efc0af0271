namespace Disco.Geo.Scenes.Generation;

/// <summary>
/// Ranges the scene generator draws from. The defaults give living-room to hall sized rooms with a handful of
/// furniture items; all lengths are in metres.
/// </summary>
public sealed record SceneOptions
{
    /// <summary>Smallest width and depth of the main room box.</summary>
    public double MinRoomSize { get; init; } = 3;

    /// <summary>Largest width and depth of the main room box.</summary>
    public double MaxRoomSize { get; init; } = 10;

    /// <summary>Lowest ceiling.</summary>
    public double MinRoomHeight { get; init; } = 2.4;

    /// <summary>Highest ceiling.</summary>
    public double MaxRoomHeight { get; init; } = 4;

    /// <summary>Probability that a second box is merged onto the room, making an L or T shape.</summary>
    public double MergedRoomProbability { get; init; } = 0.35;

    /// <summary>Fewest furniture items (an item is one or a few primitives: a table is a top and legs).</summary>
    public int MinObjects { get; init; } = 5;

    /// <summary>Most furniture items; fewer are placed when the room runs out of space.</summary>
    public int MaxObjects { get; init; } = 16;

    /// <summary>Most doors.</summary>
    public int MaxDoors { get; init; } = 2;

    /// <summary>Most windows.</summary>
    public int MaxWindows { get; init; } = 3;

    /// <summary>Fewest lights (ceiling panels, pendant lamps, floor lamps).</summary>
    public int MinLights { get; init; } = 1;

    /// <summary>Most lights.</summary>
    public int MaxLights { get; init; } = 3;

    /// <summary>Smallest distance from the camera centre to any object.</summary>
    public double CameraClearance { get; init; } = 0.5;

    /// <summary>Lowest camera height above the floor.</summary>
    public double MinCameraHeight { get; init; } = 1.0;

    /// <summary>Highest camera height above the floor (kept at least 0.3 m below the ceiling).</summary>
    public double MaxCameraHeight { get; init; } = 1.8;

    /// <summary>Largest accepted room size or height; beyond it depths lose meaning for indoor scenes.</summary>
    public const double MaxSupportedSize = 100;

    internal void Validate()
    {
        Range(MinRoomSize, MaxRoomSize, 2, nameof(MinRoomSize), nameof(MaxRoomSize), "e.g. 3 and 10");
        Range(MinRoomHeight, MaxRoomHeight, 2, nameof(MinRoomHeight), nameof(MaxRoomHeight), "e.g. 2.4 and 4");
        if (!(MergedRoomProbability >= 0 && MergedRoomProbability <= 1))
        {
            throw new ArgumentException($"MergedRoomProbability = {MergedRoomProbability} must be in [0, 1].", nameof(MergedRoomProbability));
        }

        Count(MinObjects, MaxObjects, 200, nameof(MinObjects), nameof(MaxObjects));
        Count(MinLights, MaxLights, 8, nameof(MinLights), nameof(MaxLights));
        if (MinLights < 1)
        {
            throw new ArgumentException($"MinLights = {MinLights}: a scene needs at least one light; use 1 or more.", nameof(MinLights));
        }

        Count(0, MaxDoors, 8, nameof(MaxDoors), nameof(MaxDoors));
        Count(0, MaxWindows, 8, nameof(MaxWindows), nameof(MaxWindows));
        if (!(CameraClearance >= 0 && CameraClearance <= 2))
        {
            throw new ArgumentException($"CameraClearance = {CameraClearance} must be in [0, 2] metres, e.g. 0.5.", nameof(CameraClearance));
        }

        if (!(MinCameraHeight > 0 && MinCameraHeight <= MaxCameraHeight && MaxCameraHeight < MinRoomHeight))
        {
            throw new ArgumentException(
                $"Camera heights {MinCameraHeight}..{MaxCameraHeight} must satisfy 0 < min ≤ max < MinRoomHeight ({MinRoomHeight}); e.g. 1.0 and 1.8.",
                nameof(MinCameraHeight));
        }
    }

    private static void Range(double min, double max, double floor, string minName, string maxName, string example)
    {
        if (!(min >= floor && min <= MaxSupportedSize))
        {
            throw new ArgumentException($"{minName} = {min} is out of range; use {floor} to {MaxSupportedSize} metres ({example}).", minName);
        }

        if (!(max >= min && max <= MaxSupportedSize))
        {
            throw new ArgumentException($"{maxName} = {max} must be at least {minName} ({min}) and at most {MaxSupportedSize} metres ({example}).", maxName);
        }
    }

    private static void Count(int min, int max, int limit, string minName, string maxName)
    {
        if (min < 0 || min > limit)
        {
            throw new ArgumentException($"{minName} = {min} is out of range; use 0 to {limit}.", minName);
        }

        if (max < min || max > limit)
        {
            throw new ArgumentException($"{maxName} = {max} must be between {minName} ({min}) and {limit}.", maxName);
        }
    }
}
