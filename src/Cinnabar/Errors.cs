namespace Cinnabar;

/// <summary>Error texts exactly as Redis 7 sends them.</summary>
public static class Errors
{
    public const string WrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
    public const string Syntax = "ERR syntax error";
    public const string NotInteger = "ERR value is not an integer or out of range";
    public const string NotFloat = "ERR value is not a valid float";
    public const string NoSuchKey = "ERR no such key";
    public const string Overflow = "ERR increment or decrement would overflow";
    public const string DbIndexOutOfRange = "ERR DB index is out of range";
    public const string InvalidExpire = "ERR invalid expire time in '{0}' command";
    public const string NotPositiveTimeout = "ERR timeout is not an integer or out of range";

    public static string WrongArgs(string fullName) => $"ERR wrong number of arguments for '{fullName}' command";
}
