// The definitions of SqlFunctions (sql_functions.hpp): included once per
// store, by its function_ops.cpp, after the store's header, and instantiated
// there.
#pragma once

#include "store/sql/sql_functions.hpp"

namespace plumbline::store::sql {

namespace functions_detail {

template <class Query>
Function ReadFunction(const Query& q) {
  Function f;
  f.name = q.Text(0);
  f.arn = q.Text(1);
  f.kind = q.Text(2);
  f.runtime = q.Text(3);
  f.handler = q.Text(4);
  f.code_dir = q.Text(5);
  f.code_sha256 = q.Text(6);
  f.code_size = q.Int(7);
  f.timeout_s = q.Int(8);
  f.memory_mb = q.Int(9);
  f.environment_json = q.Text(10);
  f.description = q.Text(11);
  f.role = q.Text(12);
  f.revision = q.Int(13);
  f.created_ms = q.Int(14);
  f.modified_ms = q.Int(15);
  return f;
}

// Binds a function's columns as ?1..?16, in kFunctionColumns' order: the
// INSERT and the UPDATE name the same parameters.
template <class Statement>
Statement& BindFunction(Statement& q, const Function& f) {
  return q.Bind(1, f.name)
      .Bind(2, f.arn)
      .Bind(3, f.kind)
      .Bind(4, f.runtime)
      .Bind(5, f.handler)
      .Bind(6, f.code_dir)
      .Bind(7, f.code_sha256)
      .Bind(8, f.code_size)
      .Bind(9, f.timeout_s)
      .Bind(10, f.memory_mb)
      .Bind(11, f.environment_json)
      .Bind(12, f.description)
      .Bind(13, f.role)
      .Bind(14, f.revision)
      .Bind(15, f.created_ms)
      .Bind(16, f.modified_ms);
}

}  // namespace functions_detail

template <class S>
Status SqlFunctions<S>::CreateFunction(const Function& f) {
  return this->self().template Txn<void>(changes::kFunctions, [&]() -> Status {
    auto q = this->self().Q(
        "INSERT INTO functions(name,arn,kind,runtime,handler,code_dir,code_sha256,code_size,"
        "timeout_s,memory_mb,environment,description,role,revision,created_ms,modified_ms) "
        "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16) ON CONFLICT DO NOTHING");
    functions_detail::BindFunction(q, f).Step();
    if (this->self().Changes() == 0) return AlreadyExists("Function already exist: " + f.name);
    return {};
  });
}

template <class S>
Result<Function> SqlFunctions<S>::GetFunction(const std::string& name_or_arn) {
  return this->self().template Read<Function>([&]() -> Result<Function> {
    auto q = this->self().Q(kFunctionSelect " WHERE name=?1 OR arn=?1");
    q.Bind(1, name_or_arn);
    if (!q.Step()) return NotFound("Function not found: " + name_or_arn);
    return functions_detail::ReadFunction(q);
  });
}

template <class S>
Result<std::vector<Function>> SqlFunctions<S>::ListFunctions() {
  return this->self().template Read<std::vector<Function>>([&]() -> Result<std::vector<Function>> {
    std::vector<Function> out;
    auto q = this->self().Q(kFunctionSelect " ORDER BY name");
    while (q.Step()) out.push_back(functions_detail::ReadFunction(q));
    return out;
  });
}

template <class S>
Result<Function> SqlFunctions<S>::UpdateFunction(const Function& f) {
  return this->self().template Txn<Function>(changes::kFunctions, [&]() -> Result<Function> {
    Function old;
    {
      auto q = this->self().Q(S::Dialect::kFunctionForUpdate);
      q.Bind(1, f.name);
      if (!q.Step()) return NotFound("Function not found: " + f.name);
      old = functions_detail::ReadFunction(q);
    }
    Function now = f;
    now.arn = old.arn;
    now.created_ms = old.created_ms;
    now.revision = old.revision + 1;
    // Every column is set (the ARN and creation time to what they were),
    // so the UPDATE names all 16 parameters the INSERT does.
    auto q = this->self().Q(
        "UPDATE functions SET arn=?2,kind=?3,runtime=?4,handler=?5,code_dir=?6,code_sha256=?7,"
        "code_size=?8,timeout_s=?9,memory_mb=?10,environment=?11,description=?12,role=?13,"
        "revision=?14,created_ms=?15,modified_ms=?16 WHERE name=?1");
    functions_detail::BindFunction(q, now).Step();
    return now;
  });
}

template <class S>
Status SqlFunctions<S>::DeleteFunction(const std::string& name) {
  return this->self().template Txn<void>(changes::kFunctions, [&]() -> Status {
    this->self().Q("DELETE FROM functions WHERE name=?").Bind(1, name).Step();
    if (this->self().Changes() == 0) return NotFound("Function not found: " + name);
    return {};
  });
}

}  // namespace plumbline::store::sql
