namespace Cinnabar.Lua;

/// <summary>What an embedder raising its own error values needs (Redis' error tables).</summary>
public sealed partial class LuaState
{
    /// <summary>lua_error with any value: positioned at the innermost Lua function, as Redis' error handler reports it.</summary>
    public LuaRuntimeException Raise(LuaValue value) => MakeError(value);
}
