// Registered functions (custom hooks), written once for both SQL stores: a
// base class of each store (CRTP) above sql::SqlPeople, on the same terms
// (see sql_people.hpp). The definitions are in sql_functions_impl.hpp,
// compiled once per store in its function_ops.cpp; the one statement whose
// SQL differs (a row lock) is the store's Dialect::kFunctionForUpdate.
#pragma once

#include <string>
#include <vector>

#include "store/sql/sql_people.hpp"

namespace plumbline::store::sql {

template <class S>
class SqlFunctions : public SqlPeople<S> {
 public:
  Status CreateFunction(const Function& fn) override;
  Result<Function> GetFunction(const std::string& name_or_arn) override;
  Result<std::vector<Function>> ListFunctions() override;
  Result<Function> UpdateFunction(const Function& fn) override;
  Status DeleteFunction(const std::string& name) override;
};

}  // namespace plumbline::store::sql
