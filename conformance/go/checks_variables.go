package main

import (
	"fmt"

	"tidemill/conformance/client"
)

// systemVariables is spec §3.4: name -> format, in table order.
var systemVariables = []struct{ name, format string }{
	{"year", "yyyy"}, {"mon", "MM"}, {"day", "dd"}, {"hour", "HH"},
	{"min", "mm"}, {"sec", "ss"}, {"date", "yyyy-MM-dd"}, {"now", "yyyy-MM-dd HH:mm:ss"},
}

// variableChecks: spec §9. Create/update/delete are sent without a
// Content-Type and delete carries {"name":..}, exactly like the SDK.
func (s *suite) variableChecks() {
	c := s.c
	tv, sv := s.name("tvar"), s.name("svar")
	timeVar := client.VariableInput{Name: tv, Type: "time", Value: "$(now)-1d", Format: "yyyy-MM-dd HH:mm:ss"}
	strVar := client.VariableInput{Name: sv, Type: "string", Value: "constants"}
	s.defer_(func() { _ = c.DeleteVariable(tv); _ = c.DeleteVariable(sv) })

	s.check("variable.create_time_no_content_type", func() error { return wantOK(c.CreateVariable(&timeVar)) })
	s.check("variable.create_string_no_content_type", func() error { return wantOK(c.CreateVariable(&strVar)) })
	s.check("variable.get", func() error {
		out, err := c.GetVariable(tv)
		if err != nil {
			return wantOK(err)
		}
		var d diffs
		d.eq("name", out.Name, tv)
		d.eq("type", out.Type, "time")
		d.eq("value", out.Value, timeVar.Value)
		d.eq("format", out.Format, timeVar.Format)
		return d.err(out)
	})
	s.check("variable.list_user", func() error {
		out, err := c.ListUserVariables()
		if err != nil {
			return wantOK(err)
		}
		var d diffs
		found := map[string]client.GetVariableOutput{}
		for _, v := range out.Variables {
			found[v.Name] = v
			for _, sys := range systemVariables {
				if v.Name == sys.name {
					d.add("system variable %q in the user list", v.Name)
				}
			}
		}
		if v, ok := found[tv]; !ok {
			d.add("%s missing", tv)
		} else {
			d.eq(tv+".type", v.Type, "time")
		}
		if v, ok := found[sv]; !ok {
			d.add("%s missing", sv)
		} else {
			d.eq(sv+".type", v.Type, "string")
			d.eq(sv+".value", v.Value, "constants")
		}
		return d.err(out)
	})
	s.check("variable.list_system_8", func() error {
		out, err := c.ListSystemVariables()
		if err != nil {
			return wantOK(err)
		}
		var d diffs
		if len(out.Variables) != len(systemVariables) {
			d.add("%d system variables, want %d", len(out.Variables), len(systemVariables))
		}
		byName := map[string]client.GetVariableOutput{}
		for _, v := range out.Variables {
			byName[v.Name] = v
		}
		for _, sys := range systemVariables {
			v, ok := byName[sys.name]
			if !ok {
				d.add("system variable %q missing", sys.name)
				continue
			}
			d.eq(sys.name+".type", v.Type, "time")
			d.eq(sys.name+".format", v.Format, sys.format)
		}
		return d.err(out)
	})
	s.check("variable.update", func() error {
		upd := strVar
		upd.Value = "constants2"
		if err := c.UpdateVariable(&upd); err != nil {
			return wantOK(err)
		}
		out, err := c.GetVariable(sv)
		if err != nil {
			return fmt.Errorf("get after update: %v", err)
		}
		var d diffs
		d.eq("value", out.Value, "constants2")
		d.eq("type", out.Type, "string")
		return d.err(out)
	})
	s.check("variable.create_duplicate_E18101", func() error {
		return wantErr(c.CreateVariable(&timeVar), 409, "E18101", "IsExist", client.IsExist)
	})
	s.check("variable.get_missing_E18102", func() error {
		_, err := c.GetVariable(s.name("novar"))
		return wantErr(err, 404, "E18102", "IsNoSuchResource", client.IsNoSuchResource)
	})
	s.check("variable.create_system_name_E18101", func() error {
		return wantErr(c.CreateVariable(&client.VariableInput{Name: "now", Type: "string", Value: "x"}), 409, "E18101", "IsExist", client.IsExist)
	})
	s.check("variable.update_system_refused_E18106", func() error {
		return wantErr(c.UpdateVariable(&client.VariableInput{Name: "year", Type: "time", Value: "$(now)", Format: "yyyy"}), 400, "E18106", "", nil)
	})
	s.check("variable.delete_system_refused_E18106", func() error {
		return wantErr(c.DeleteVariable("year"), 400, "E18106", "", nil)
	})
	s.check("variable.delete_with_body", func() error {
		if err := c.DeleteVariable(tv); err != nil {
			return wantOK(err)
		}
		return wantOK(c.DeleteVariable(sv))
	})
	s.check("variable.get_after_delete_E18102", func() error {
		_, err := c.GetVariable(tv)
		return wantErr(err, 404, "E18102", "IsNoSuchResource", client.IsNoSuchResource)
	})
}
