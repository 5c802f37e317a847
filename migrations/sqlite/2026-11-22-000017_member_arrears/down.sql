DROP TABLE member_arrears;
